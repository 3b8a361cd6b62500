"""The Kokkos toolchain: finding, probing, fetching and building Kokkos installs."""
