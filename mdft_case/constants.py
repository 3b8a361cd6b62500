"""Physical constants in MDFT's units: lengths in Å, energies in kJ/mol, charges in e."""
from __future__ import annotations

# Boltzmann constant times Avogadro's number, kJ/(mol K) (CODATA 2018 exact R / 1000).
KB = 8.314462618e-3
# e^2 / (4 pi eps0) in kJ/mol * Å (CODATA 2018: 1389.35457644...).
COULOMB = 1389.3545764


def kt(temperature: float) -> float:
    """kT in kJ/mol at `temperature` kelvin."""
    return KB * temperature
