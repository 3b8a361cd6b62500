"""Maps the top-level folders (dialects/, passes/, ...) under the `hpcir` import package."""
from setuptools import find_packages, setup

# Top-level folders that are imported as hpcir.<name>; hpcir/ itself holds the driver.
MAPPED = ["dialects", "passes", "frontends", "backends", "mdft_case"]

packages = ["hpcir"] + [f"hpcir.{p}" for p in find_packages("hpcir")]
package_dir = {"hpcir": "hpcir"}
for root in MAPPED:
    packages.append(f"hpcir.{root}")
    package_dir[f"hpcir.{root}"] = root
    packages += [f"hpcir.{root}.{p}" for p in find_packages(root)]

setup(packages=packages, package_dir=package_dir, include_package_data=True,
      package_data={"hpcir": ["data/*"], "hpcir.backends": ["templates/*"], "hpcir.mdft_case": ["configs/*", "data/*", "kokkos_cpp/*"]})
