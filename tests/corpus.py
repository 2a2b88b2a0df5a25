"""Real formulas from science and engineering, written as plain Python.

Shared by the test suite: each Case's function is decorated with pyexpr.jit in
the tests and compared against the undecorated function as the oracle."""
import math
from dataclasses import dataclass
from math import exp, sqrt

import numpy as np


@dataclass(frozen=True)
class Case:
    func: object              # the plain Python function
    domain: dict              # parameter name -> (low, high), every parameter in signature order
    area: str                 # "physics", "statistics", "chemistry", "finance", ...
    smooth: bool = True       # False if the function has kinks or jumps
    n_outputs: int = 1        # number of returned values (tuple return)

    @property
    def name(self):
        return self.func.__name__


# Physical constants (SI, CODATA 2018 where applicable)
H_PLANCK = 6.62607015e-34
K_BOLTZMANN = 1.380649e-23
K_BOLTZMANN_EV = 8.617333262e-5
C_LIGHT = 299792458.0
G_NEWTON = 6.674e-11
K_COULOMB = 8.9875517923e9
R_GAS = 8.314462618
FARADAY = 96485.33212
SIGMA_SB = 5.670374419e-8
G_EARTH = 9.80665
EARTH_RADIUS_KM = 6371.0088
LN10 = 2.302585092994046

# Shomate coefficients A, B, C, D, E for liquid water (NIST WebBook)
SHOMATE_WATER = (-203.6060, 1523.290, -3196.413, 2474.455, 3.855326)

# UNESCO (1981) polynomial for the density of pure water, kg/m^3, T in Celsius
WATER_DENSITY_COEFFS = (999.842594, 6.793952e-2, -9.095290e-3,
                        1.001685e-4, -1.120083e-6, 6.536332e-9)

# Abramowitz & Stegun 7.1.26 coefficients a5, a4, a3, a2, a1 (Horner order)
ERF_AS_COEFFS = (1.061405429, -1.453152027, 1.421413741, -0.284496736, 0.254829592)

# A three-component Gaussian mixture
MIX_WEIGHTS = (0.5, 0.3, 0.2)
MIX_MEANS = (-1.0, 0.5, 2.5)
MIX_SIGMAS = (0.5, 1.0, 0.7)


# --------------------------------------------------------------------------- physics

def planck(nu, T):
    """Planck's law: spectral radiance of a black body, W sr^-1 m^-2 Hz^-1."""
    x = H_PLANCK * nu / (K_BOLTZMANN * T)
    return 2.0 * H_PLANCK * nu**3 / C_LIGHT**2 / math.expm1(x)


def maxwell_boltzmann_speed(v, T, m=4.65e-26):
    """Maxwell–Boltzmann distribution of molecular speeds (default mass: N2)."""
    a = m / (2.0 * K_BOLTZMANN * T)
    return 4.0 * math.pi * (a / math.pi) ** 1.5 * v**2 * math.exp(-a * v**2)


def lorentz_factor(v):
    """Lorentz factor gamma = 1 / sqrt(1 - v^2 / c^2)."""
    beta = v / C_LIGHT
    return 1.0 / sqrt(1.0 - beta * beta)


def relativistic_energy(m, v):
    """Total relativistic energy E = gamma m c^2."""
    return m * C_LIGHT**2 * (1.0 - (v / C_LIGHT) ** 2) ** -0.5


def energy_momentum(m, p):
    """Energy–momentum relation E = sqrt((p c)^2 + (m c^2)^2)."""
    return math.hypot(p * C_LIGHT, m * C_LIGHT**2)


def rapidity(m, p):
    """Rapidity of a particle, asinh(p / (m c))."""
    return math.asinh(p / (m * C_LIGHT))


def gravitational_force(m1, m2, r):
    """Newton's law of universal gravitation."""
    return G_NEWTON * m1 * m2 / r**2


def coulomb_force(q1, q2, r):
    """Coulomb's law for two point charges."""
    return K_COULOMB * q1 * q2 / r**2


def escape_velocity(M, r):
    """Escape velocity from the surface of a spherical body."""
    return sqrt(2.0 * G_NEWTON * M / r)


def orbital_period(a, M=1.989e30):
    """Kepler's third law: period of a two-body orbit."""
    return 2.0 * math.pi * a**1.5 / math.sqrt(G_NEWTON * M)


def damped_oscillator(t, A=1.0, zeta=0.1, omega0=2.0, phi=0.0):
    """Displacement of an underdamped harmonic oscillator."""
    omega_d = omega0 * math.sqrt(1.0 - zeta**2)
    return A * math.exp(-zeta * omega0 * t) * math.cos(omega_d * t + phi)


def damped_free_response(t, zeta, omega0=1.0):
    """Free response of a damped oscillator released from rest at x = 1."""
    decay = math.exp(-zeta * omega0 * t)
    if zeta < 1.0:
        wd = omega0 * math.sqrt(1.0 - zeta * zeta)
        return decay * (math.cos(wd * t) + zeta * omega0 / wd * math.sin(wd * t))
    elif zeta == 1.0:
        return decay * (1.0 + omega0 * t)
    else:
        wd = omega0 * math.sqrt(zeta * zeta - 1.0)
        return decay * (math.cosh(wd * t) + zeta * omega0 / wd * math.sinh(wd * t))


def projectile_range(v0, theta, h=0.0):
    """Horizontal range of a projectile launched from height h, without drag."""
    vx = v0 * math.cos(theta)
    vy = v0 * math.sin(theta)
    return vx / G_EARTH * (vy + math.sqrt(vy * vy + 2.0 * G_EARTH * h))


def trajectory_height(x, v0, theta):
    """Height of a projectile after horizontal distance x."""
    return x * math.tan(theta) - G_EARTH * x**2 / (2.0 * (v0 * math.cos(theta)) ** 2)


def falling_body_velocity(t, m, c_drag):
    """Speed of a body falling with quadratic drag, v = v_t tanh(g t / v_t)."""
    v_terminal = math.sqrt(m * G_EARTH / c_drag)
    return v_terminal * math.tanh(G_EARTH * t / v_terminal)


def pendulum_period(L, theta0):
    """Exact period of a simple pendulum via the arithmetic–geometric mean."""
    a, b = 1.0, math.cos(theta0 / 2.0)
    for i in range(6):
        a, b = (a + b) / 2.0, math.sqrt(a * b)
    return 2.0 * math.pi * math.sqrt(L / G_EARTH) / a


def kepler_eccentric_anomaly(M, e):
    """Kepler's equation M = E - e sin E, solved with a fixed number of Newton steps."""
    E = M + e * math.sin(M)
    for i in range(6):
        E -= (E - e * math.sin(E) - M) / (1.0 - e * math.cos(E))
    return E


def kepler_orbit_position(M, e, a=1.0):
    """Position in the orbital plane from the mean anomaly (Kepler's equation)."""
    E = M
    for i in range(8):
        E = E - (E - e * math.sin(E) - M) / (1.0 - e * math.cos(E))
    x = a * (math.cos(E) - e)
    y = a * math.sqrt(1.0 - e * e) * math.sin(E)
    return x, y


def true_anomaly(E, e):
    """True anomaly of a Keplerian orbit from the eccentric anomaly."""
    return 2.0 * math.atan2(math.sqrt(1.0 + e) * math.sin(E / 2.0),
                            math.sqrt(1.0 - e) * math.cos(E / 2.0))


def stefan_boltzmann(T, emissivity=1.0, area=1.0):
    """Stefan–Boltzmann law: power radiated by a grey body."""
    return emissivity * SIGMA_SB * area * T**4


def doppler_shift(f0, v_source, v_observer, c=343.0):
    """Classical Doppler effect for sound; positive speeds mean approaching."""
    return f0 * (c + v_observer) / (c - v_source)


def relativistic_doppler(f0, beta):
    """Relativistic longitudinal Doppler shift for a receding source."""
    return f0 * np.sqrt((1.0 - beta) / (1.0 + beta))


def snell_refraction_angle(theta1, n1=1.0, n2=1.5):
    """Snell's law: refraction angle, saturating at +-pi/2 beyond total internal reflection."""
    s = n1 / n2 * math.sin(theta1)
    if not (-1.0 < s < 1.0):
        return math.pi / 2.0 if s > 0.0 else -math.pi / 2.0
    return math.asin(s)


def critical_angle(n1, n2):
    """Critical angle for total internal reflection from medium n1 into n2."""
    return math.asin(n2 / n1)


def bragg_angle(wavelength, d, order=1.0):
    """Bragg's law: diffraction angle for lattice plane spacing d."""
    return math.asin(order * wavelength / (2.0 * d))


def gaussian_beam_radius(z, w0, wavelength=633e-9):
    """Radius w(z) of a Gaussian laser beam."""
    z_r = math.pi * w0**2 / wavelength
    return w0 * np.hypot(1.0, z / z_r)


def gouy_phase(z, w0, wavelength=633e-9):
    """Gouy phase shift of a Gaussian beam."""
    return math.atan(z * wavelength / (math.pi * w0 * w0))


def lennard_jones(r, epsilon=0.238, sigma=3.4):
    """Lennard-Jones 12-6 pair potential (argon: kcal/mol, Angstrom)."""
    sr6 = sigma**6 * r**-6
    return 4.0 * epsilon * (sr6 * sr6 - sr6)


def morse_potential(r, De=4.746, a=1.943, re=0.741):
    """Morse potential of a diatomic molecule (H2: eV, Angstrom)."""
    return De * (1.0 - math.exp(-a * (r - re))) ** 2


def radioactive_decay(t, N0, half_life):
    """Number of undecayed nuclei after time t."""
    return N0 * 0.5 ** (t / half_life)


def square_wave_fourier(t, omega=1.0):
    """Fourier partial sum (25 odd harmonics) of a unit square wave."""
    s = 0.0
    for k in range(25):
        n = 2 * k + 1
        s += math.sin(n * omega * t) / n
    return 4.0 / math.pi * s


def wave_phase_speed(k, depth):
    """Phase speed of surface gravity waves from the dispersion relation w^2 = g k tanh(k h)."""
    return math.sqrt(G_EARTH / k * math.tanh(k * depth))


def langevin(x):
    """Langevin function coth(x) - 1/x of classical paramagnetism."""
    return math.cosh(x) / math.sinh(x) - 1.0 / x


def paramagnet_magnetization(B, T, mu=9.274e-24):
    """Magnetisation of a two-level paramagnet, tanh(mu B / k T)."""
    return np.tanh(mu * B / (K_BOLTZMANN * T))


def catenary(x, a=2.0, x0=0.0):
    """Height of a hanging chain, y = a cosh((x - x0) / a)."""
    return a * math.cosh((x - x0) / a)


def bose_einstein_occupancy(E, T, mu=0.0):
    """Bose–Einstein mean occupation number (energies in eV)."""
    kT = K_BOLTZMANN_EV * T
    return 1.0 / math.expm1((E - mu) / kT)


def fermi_dirac(E, mu, T):
    """Fermi–Dirac occupation probability (energies in eV), overflow-safe."""
    x = (E - mu) / (K_BOLTZMANN_EV * T)
    if x > 0.0:
        z = math.exp(-x)
        return z / (1.0 + z)
    else:
        return 1.0 / (1.0 + math.exp(x))


def mean_field_magnetization(T, Tc=1.0, h=0.01):
    """Curie–Weiss mean-field magnetisation m = tanh((Tc m + h) / T) by fixed-point iteration."""
    m = 1.0
    for i in range(30):
        m = np.tanh((Tc * m + h) / T)
    return m


def photoelectric_energy(nu, work_function=2.3):
    """Einstein's photoelectric equation: maximum kinetic energy (eV) of emitted electrons."""
    kinetic = 4.135667696e-15 * nu - work_function
    if not kinetic > 0.0:
        return 0.0
    return kinetic


def partition_function(T):
    """Canonical partition function of a molecule with four non-degenerate levels (eV)."""
    return sum(math.exp(-E / (K_BOLTZMANN_EV * T)) for E in (0.0, 0.01, 0.025, 0.05))


def barometric_pressure(h, p0=101325.0, H=8434.0):
    """Isothermal barometric formula with scale height H."""
    return p0 * math.e ** (-h / H)


def sellmeier_bk7(wavelength_um):
    """Sellmeier equation: refractive index of BK7 glass (wavelength in micrometres)."""
    B = (1.03961212, 0.231792344, 1.01046945)
    C = (6.00069867e-3, 2.00179144e-2, 103.560653)
    lam2 = wavelength_um**2
    return np.sqrt(1.0 + sum(B[i] * lam2 / (lam2 - C[i]) for i in range(3)))


# --------------------------------------------------------------------------- chemistry

def arrhenius(T, A=1.0e13, Ea=8.0e4):
    """Arrhenius equation for a reaction rate constant."""
    return A * exp(-Ea / (R_GAS * T))


def eyring(T, dG=7.0e4):
    """Eyring–Polanyi equation: transition-state rate constant."""
    return K_BOLTZMANN * T / H_PLANCK * math.exp(-dG / (R_GAS * T))


def equilibrium_constant(dH, dS, T):
    """Equilibrium constant from the Gibbs energy, K = exp(-(dH - T dS) / R T)."""
    dG = dH - T * dS
    return math.exp(-dG / (R_GAS * T))


def nernst_potential(c_ox, c_red, T=298.15, n=1.0, E0=0.771):
    """Nernst equation for a redox couple (default: Fe3+/Fe2+)."""
    return E0 - R_GAS * T / (n * FARADAY) * math.log(c_red / c_ox)


def butler_volmer(eta, i0=1.0e-3, T=298.15):
    """Symmetric Butler–Volmer equation for electrode current density."""
    return 2.0 * i0 * math.sinh(FARADAY * eta / (2.0 * R_GAS * T))


def ideal_gas_pressure(n, T, V):
    """Ideal gas law P = n R T / V."""
    return n * R_GAS * T / V


def van_der_waals_pressure(n, T, V, a=0.137, b=3.87e-5):
    """Van der Waals equation of state (default: nitrogen, SI units)."""
    return n * R_GAS * T / (V - n * b) - a * n**2 / V**2


def henderson_hasselbalch(pKa, base, acid):
    """Henderson–Hasselbalch equation for the pH of a buffer."""
    return pKa + np.log(base / acid) / LN10


def debye_huckel_activity(I, z=1.0, a=4.0e-10):
    """Extended Debye–Hückel law: activity coefficient of an ion in water at 25 C."""
    A = 0.509
    B = 3.29e9
    sqrt_I = sqrt(I)
    log10_gamma = -A * z**2 * sqrt_I / (1.0 + B * a * sqrt_I)
    return 10.0 ** log10_gamma


def beer_lambert_transmittance(epsilon, length, conc):
    """Beer–Lambert law: fraction of light transmitted through a sample."""
    absorbance = epsilon * length * conc
    return 10.0 ** -absorbance


def clausius_clapeyron(T2, T1=373.15, P1=101325.0, L=40660.0):
    """Clausius–Clapeyron relation: vapour pressure at T2 (default: water)."""
    return P1 * math.exp(-L / R_GAS * (1.0 / T2 - 1.0 / T1))


def antoine_vapor_pressure(T, A=8.07131, B=1730.63, C=233.426):
    """Antoine equation: vapour pressure of water in mmHg, T in Celsius."""
    return pow(10.0, A - B / (C + T))


def freundlich_isotherm(C, K_F=2.0, n=2.5):
    """Freundlich adsorption isotherm q = K_F C^(1/n)."""
    return K_F * math.pow(C, 1.0 / n)


def shomate_heat_capacity(T):
    """Shomate equation: molar heat capacity of liquid water, J/(mol K)."""
    t = T / 1000.0
    cp = SHOMATE_WATER[4] * t**-2
    for i in range(4):
        cp += SHOMATE_WATER[i] * t**i
    return cp


def water_density(T):
    """Density of pure water (kg/m^3) versus temperature in Celsius, UNESCO 1981."""
    rho = 0.0
    for i in range(6):
        rho += WATER_DENSITY_COEFFS[i] * T**i
    return rho


def nasa_cp_over_r(T):
    """NASA 7-coefficient polynomial: cp/R of N2 on the 300-1000 K range."""
    a = (3.298677, 1.4082404e-3, -3.963222e-6, 5.641515e-9, -2.444854e-12)
    return a[0] + a[1] * T + a[2] * T**2 + a[3] * T**3 + a[4] * T**4


# --------------------------------------------------------------------------- biology

def michaelis_menten(S, Vmax, Km):
    """Michaelis–Menten enzyme kinetics."""
    return Vmax * S / (Km + S)


def hill_equation(L, K=1.0, n=2.5):
    """Hill equation: fractional receptor occupancy with cooperativity n."""
    Ln = math.pow(L, n)
    return Ln / (math.pow(K, n) + Ln)


def logistic_growth(t, K, N0, r):
    """Verhulst logistic population growth."""
    return K / (1.0 + (K - N0) / N0 * np.exp(-r * t))


def gompertz(t, a=1.0, b=2.0, c=0.5):
    """Gompertz growth curve."""
    return a * math.exp(-b * math.exp(-c * t))


def kleiber_metabolic_rate(M, B0=3.4):
    """Kleiber's law: basal metabolic rate (W) scales as body mass (kg) to the 3/4."""
    return B0 * math.pow(M, 0.75)


def hodgkin_huxley_alpha_n(V):
    """Hodgkin–Huxley potassium activation rate alpha_n(V) in 1/ms (V in mV)."""
    x = (V + 55.0) / 10.0
    if abs(x) < 1e-6:
        return 0.1
    else:
        return 0.1 * x / -math.expm1(-x)


def goldman_potential(K_out, Na_in, T=310.0, pNa=0.05, pCl=0.45):
    """Goldman–Hodgkin–Katz voltage equation (volts), permeabilities relative to K+."""
    K_in, Na_out, Cl_in, Cl_out = 140.0, 145.0, 10.0, 110.0
    num = K_out + pNa * Na_out + pCl * Cl_in
    den = K_in + pNa * Na_in + pCl * Cl_out
    return R_GAS * T / FARADAY * math.log(num / den)


def lotka_volterra(x, y, alpha=1.1, beta=0.4, delta=0.1, gamma=0.4):
    """Lotka–Volterra predator–prey rates (dx/dt, dy/dt)."""
    return alpha * x - beta * x * y, delta * x * y - gamma * y


def sir_rates(S, I, R, beta=0.3, gamma=0.1):
    """SIR epidemic model rates (dS/dt, dI/dt, dR/dt)."""
    N = S + I + R
    infection = beta * S * I / N
    recovery = gamma * I
    return -infection, infection - recovery, recovery


def hardy_weinberg(p):
    """Hardy–Weinberg genotype frequencies (AA, Aa, aa)."""
    q = 1.0 - p
    return p * p, 2.0 * p * q, q * q


def liebig_growth(N, P, mu_max=1.0, K_N=0.5, K_P=0.05):
    """Monod growth limited by the scarcer nutrient (Liebig's law of the minimum)."""
    return mu_max * np.minimum(N / (K_N + N), P / (K_P + P))


def asinh_transform(x, cofactor=150.0):
    """Arcsinh transform of flow-cytometry intensities."""
    return math.asinh(x / cofactor)


# --------------------------------------------------------------------------- statistics

def gaussian_pdf(x, mu=0.0, sigma=1.0):
    """Normal probability density."""
    z = (x - mu) / sigma
    return exp(-0.5 * z * z) / (sigma * sqrt(2.0 * math.pi))


def lognormal_pdf(x, mu, sigma):
    """Log-normal probability density."""
    return np.exp(-(np.log(x) - mu) ** 2 / (2.0 * sigma**2)) / (x * sigma * np.sqrt(2.0 * np.pi))


def student_t_pdf(x, nu):
    """Student's t probability density."""
    log_norm = math.lgamma((nu + 1.0) / 2.0) - math.lgamma(nu / 2.0) - 0.5 * math.log(nu * math.pi)
    return math.exp(log_norm) * (1.0 + x * x / nu) ** (-(nu + 1.0) / 2.0)


def tsne_kernel(x1, y1, x2, y2):
    """Student-t (Cauchy) similarity kernel used by t-SNE."""
    d2 = (x1 - x2) ** 2 + (y1 - y2) ** 2
    return (1.0 + d2) ** -1


def gamma_pdf(x, k, theta):
    """Gamma distribution probability density."""
    return x ** (k - 1.0) * math.exp(-x / theta) / (math.gamma(k) * theta**k)


def chi_square_pdf(x, k):
    """Chi-squared probability density with k degrees of freedom."""
    half_k = k / 2.0
    return x ** (half_k - 1.0) * math.exp(-x / 2.0) / (2.0**half_k * math.gamma(half_k))


def beta_pdf(x, a, b):
    """Beta distribution probability density."""
    log_beta = math.lgamma(a) + math.lgamma(b) - math.lgamma(a + b)
    return math.exp((a - 1.0) * math.log(x) + (b - 1.0) * math.log1p(-x) - log_beta)


def poisson_pmf(k, lam):
    """Poisson probability mass, continued to real k through the log-gamma function."""
    return math.exp(k * math.log(lam) - lam - math.lgamma(k + 1.0))


def weibull_pdf(x, k, lam):
    """Weibull probability density."""
    return (k / lam) * (x / lam) ** (k - 1.0) * math.exp(-((x / lam) ** k))


def weibull_mean(k, lam):
    """Mean of the Weibull distribution, lam * Gamma(1 + 1/k)."""
    return lam * math.gamma(1.0 + 1.0 / k)


def normal_cdf(x, mu=0.0, sigma=1.0):
    """Normal cumulative distribution via the error function."""
    return 0.5 * (1.0 + math.erf((x - mu) / (sigma * math.sqrt(2.0))))


def normal_tail(x):
    """Gaussian Q-function (upper tail probability) via erfc."""
    return 0.5 * math.erfc(x / math.sqrt(2.0))


def normal_cdf_zelen_severo(x):
    """Zelen & Severo (A&S 26.2.17) polynomial approximation of the normal CDF, x >= 0."""
    t = 1.0 / (1.0 + 0.2316419 * x)
    poly = 0.0
    for b in (1.330274429, -1.821255978, 1.781477937, -0.356563782, 0.319381530):
        poly = poly * t + b
    pdf = exp(-0.5 * x * x) / sqrt(2.0 * math.pi)
    return 1.0 - pdf * poly * t


def erf_abramowitz_stegun(x):
    """Abramowitz & Stegun 7.1.26 rational approximation of erf(x)."""
    sign = 1.0 if x >= 0.0 else -1.0
    x = abs(x)
    t = 1.0 / (1.0 + 0.3275911 * x)
    poly = 0.0
    for i in range(5):
        poly = poly * t + ERF_AS_COEFFS[i]
    poly *= t
    return sign * (1.0 - poly * math.exp(-x * x))


def cauchy_cdf(x, x0=0.0, gamma=1.0):
    """Cauchy cumulative distribution function."""
    return 0.5 + math.atan((x - x0) / gamma) / math.pi


def laplace_pdf(x, mu=0.0, b=1.0):
    """Laplace (double exponential) probability density."""
    return np.exp(-np.abs(x - mu) / b) / (2.0 * b)


def triangular_pdf(x, a=0.0, c=1.0, b=3.0):
    """Triangular distribution density with mode c on [a, b]."""
    if x <= a or x >= b:
        return 0.0
    elif x > a and x < c:
        return 2.0 * (x - a) / ((b - a) * (c - a))
    else:
        return 2.0 * (b - x) / ((b - a) * (b - c))


def triangular_kernel(u):
    """Triangular kernel for kernel density estimation."""
    return np.maximum(0.0, 1.0 - np.abs(u))


def gaussian_mixture_pdf(x):
    """Density of a three-component Gaussian mixture."""
    return sum(MIX_WEIGHTS[k] * np.exp(-0.5 * ((x - MIX_MEANS[k]) / MIX_SIGMAS[k]) ** 2)
               / (MIX_SIGMAS[k] * np.sqrt(2.0 * np.pi)) for k in range(3))


def box_muller(u1, u2):
    """Box–Muller transform: two uniforms to two standard normals."""
    r = np.sqrt(-2.0 * np.log(u1))
    theta = 2.0 * np.pi * u2
    return r * math.cos(theta), r * math.sin(theta)


def logistic_sigmoid(x):
    """Logistic sigmoid, evaluated without overflow on either side."""
    if x >= 0.0:
        return 1.0 / (1.0 + math.exp(-x))
    else:
        z = math.exp(x)
        return z / (1.0 + z)


def softplus(x):
    """Softplus log(1 + e^x) with asymptotic branches."""
    if x > 30.0:
        return x
    elif x < -30.0:
        return math.exp(x)
    else:
        return math.log1p(math.exp(x))


def log_sum_exp3(a, b, c):
    """Numerically stable log-sum-exp of three numbers."""
    m = max(a, b, c)
    return m + math.log(exp(a - m) + exp(b - m) + exp(c - m))


def binary_cross_entropy(p, y):
    """Binary cross-entropy between a predicted probability p and a label y."""
    return -(y * np.log(p) + (1.0 - y) * np.log1p(-p))


def logistic_loss(margin):
    """Logistic loss log(1 + exp(-margin))."""
    return np.log1p(np.exp(-margin))


def hinge_loss(margin):
    """Hinge loss of a support vector machine."""
    return np.maximum(0.0, 1.0 - margin)


def huber_loss(r, delta=1.0):
    """Huber loss: quadratic near zero, linear in the tails."""
    a = abs(r)
    if a <= delta:
        return 0.5 * r * r
    else:
        return delta * (a - 0.5 * delta)


def smooth_l1(x, beta=1.0):
    """Smooth L1 loss (as used in object detection)."""
    ax = np.abs(x)
    return 0.5 * x * x / beta if ax < beta else ax - 0.5 * beta


def relu(x):
    """Rectified linear unit."""
    return max(0.0, x)


def leaky_relu(x, alpha=0.01):
    """Leaky rectified linear unit."""
    return x if x > 0.0 else alpha * x


def relu6(x):
    """ReLU clipped at 6."""
    return np.minimum(np.maximum(x, 0.0), 6.0)


def hard_sigmoid(x):
    """Piecewise-linear hard sigmoid."""
    if x > -3.0 and x < 3.0:
        return x / 6.0 + 0.5
    elif x >= 3.0:
        return 1.0
    else:
        return 0.0


def gelu(x):
    """Gaussian error linear unit, exact form."""
    return 0.5 * x * (1.0 + math.erf(x / math.sqrt(2.0)))


def gelu_tanh(x):
    """Gaussian error linear unit, tanh approximation."""
    return 0.5 * x * (1.0 + np.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * x**3)))


def stirling_factorial(n):
    """Stirling's approximation to n!."""
    return sqrt(2.0 * math.pi * n) * (n / math.e) ** n


def soft_threshold(x, lam=0.5):
    """Soft-thresholding operator (proximal map of the L1 norm, as in LASSO)."""
    if -lam <= x <= lam:
        return 0.0
    elif x > lam:
        return x - lam
    else:
        return x + lam


def bessel_j0(x):
    """Bessel function J0 from its power series (20 terms)."""
    return sum((-0.25 * x * x) ** k / math.gamma(k + 1) ** 2 for k in range(20))


def chebyshev_exp(x):
    """Chebyshev partial sum for exp(x) on [-1, 1], by the three-term recurrence."""
    c = (1.2660658778, 1.1303182080, 0.2714953395, 0.0443368498, 0.0054742404, 0.0005429263)
    t_prev, t_curr = 1.0, x
    s = c[0] + c[1] * x
    for i in range(4):
        t_prev, t_curr = t_curr, 2.0 * x * t_curr - t_prev
        s += c[i + 2] * t_curr
    return s


def sin_taylor(x):
    """Taylor partial sum of sin(x) with ten terms."""
    term = x
    s = x
    for k in range(9):
        term *= -x * x / ((2 * k + 2) * (2 * k + 3))
        s += term
    return s


# --------------------------------------------------------------------------- finance

def black_scholes_call(S, K, T, r, sigma):
    """Black–Scholes price of a European call option."""
    sqrt_T = math.sqrt(T)
    d1 = (math.log(S / K) + (r + 0.5 * sigma**2) * T) / (sigma * sqrt_T)
    d2 = d1 - sigma * sqrt_T
    N1 = 0.5 * (1.0 + math.erf(d1 / math.sqrt(2.0)))
    N2 = 0.5 * (1.0 + math.erf(d2 / math.sqrt(2.0)))
    return S * N1 - K * math.exp(-r * T) * N2


def black_scholes_put(S, K, T, r, sigma):
    """Black–Scholes price of a European put option."""
    sqrt_T = math.sqrt(T)
    d1 = (math.log(S / K) + (r + 0.5 * sigma**2) * T) / (sigma * sqrt_T)
    d2 = d1 - sigma * sqrt_T
    return (K * math.exp(-r * T) * 0.5 * math.erfc(d2 / math.sqrt(2.0))
            - S * 0.5 * math.erfc(d1 / math.sqrt(2.0)))


def compound_interest(P, r, n, t):
    """Future value with interest compounded n times per year."""
    return P * (1.0 + r / n) ** (n * t)


def discrete_compounding(P, r, t, n=4.0):
    """Balance when interest is credited only at the end of each whole period."""
    periods = math.floor(n * t)
    return P * (1.0 + r / n) ** periods


def continuous_rate(r, n=12.0):
    """Continuously compounded rate equivalent to a nominal rate compounded n times."""
    return n * math.log1p(r / n)


def log_return(price_new, price_old):
    """Logarithmic return between two prices."""
    return np.log1p((price_new - price_old) / price_old)


def annuity_payment(P, r, n):
    """Periodic payment of a fully amortising loan."""
    return P * r / (1.0 - (1.0 + r) ** -n)


def bond_price(face, coupon_rate, ytm):
    """Price of a 10-year annual-coupon bond."""
    coupon = face * coupon_rate
    price = 0.0
    for k in range(10):
        price += coupon / (1.0 + ytm) ** (k + 1)
    price += face / (1.0 + ytm) ** 10
    return price


def macaulay_duration(coupon_rate, ytm):
    """Macaulay duration of a 10-year annual-coupon bond with face value 100."""
    c = 100.0 * coupon_rate
    weighted = sum((k + 1) * c * (1.0 + ytm) ** -(k + 1) for k in range(10))
    weighted += 10.0 * 100.0 * (1.0 + ytm) ** -10
    price = sum(c * (1.0 + ytm) ** -(k + 1) for k in range(10)) + 100.0 * (1.0 + ytm) ** -10
    return weighted / price


def kelly_fraction(p, b):
    """Kelly criterion: optimal fraction of capital to bet at net odds b (never negative)."""
    f = p - (1.0 - p) / b
    if not f > 0.0:
        return 0.0
    return f


def gordon_growth(D1, r, g):
    """Gordon growth model: present value of a growing perpetual dividend."""
    return D1 / (r - g)


def income_tax(income):
    """Progressive income tax with three marginal brackets (10 %, 20 %, 40 %)."""
    if income <= 10000.0:
        return 0.1 * income
    elif 10000.0 < income <= 40000.0:
        return 1000.0 + 0.2 * (income - 10000.0)
    else:
        return 7000.0 + 0.4 * (income - 40000.0)


def leontief_production(x, y, a=0.5, b=2.0):
    """Leontief (fixed-proportions) production function."""
    return min(x / a, y / b)


# --------------------------------------------------------------------------- optimization

def rosenbrock(x, y, a=1.0, b=100.0):
    """Rosenbrock's banana function."""
    return (a - x) ** 2 + b * (y - x * x) ** 2


def himmelblau(x, y):
    """Himmelblau's function."""
    return (x * x + y - 11.0) ** 2 + (x + y * y - 7.0) ** 2


def beale(x, y):
    """Beale's function."""
    return ((1.5 - x + x * y) ** 2 + (2.25 - x + x * y**2) ** 2
            + (2.625 - x + x * y**3) ** 2)


def booth(x, y):
    """Booth's function."""
    return (x + 2.0 * y - 7.0) ** 2 + (2.0 * x + y - 5.0) ** 2


def rastrigin(x, y, z):
    """Rastrigin function in three dimensions."""
    s = 30.0
    for xi in (x, y, z):
        s += xi * xi - 10.0 * math.cos(2.0 * math.pi * xi)
    return s


def ackley(x, y):
    """Ackley function in two dimensions."""
    r = math.sqrt(0.5 * (x * x + y * y))
    wave = 0.5 * (math.cos(2.0 * math.pi * x) + math.cos(2.0 * math.pi * y))
    return -20.0 * math.exp(-0.2 * r) - math.exp(wave) + math.e + 20.0


def styblinski_tang(x, y):
    """Styblinski–Tang function in two dimensions."""
    return 0.5 * sum(v**4 - 16.0 * v**2 + 5.0 * v for v in (x, y))


def six_hump_camel(x, y):
    """Six-hump camel-back function."""
    return (4.0 - 2.1 * x**2 + x**4 / 3.0) * x**2 + x * y + (-4.0 + 4.0 * y**2) * y**2


def goldstein_price(x, y):
    """Goldstein–Price function."""
    a = 1.0 + (x + y + 1.0) ** 2 * (19.0 - 14.0 * x + 3.0 * x**2 - 14.0 * y + 6.0 * x * y + 3.0 * y**2)
    b = 30.0 + (2.0 * x - 3.0 * y) ** 2 * (18.0 - 32.0 * x + 12.0 * x**2 + 48.0 * y
                                           - 36.0 * x * y + 27.0 * y**2)
    return a * b


def sphere(x, y, z):
    """Sphere test function in three dimensions."""
    return sum(v * v for v in (x, y, z))


def easom(x, y):
    """Easom function."""
    return -math.cos(x) * math.cos(y) * np.exp(-((x - np.pi) ** 2 + (y - np.pi) ** 2))


# --------------------------------------------------------------------------- engineering

def cantilever_deflection(x, L, P, E=200e9, I=8.0e-6):
    """Deflection of a cantilever beam with a point load P at its free end."""
    return P * x**2 * (3.0 * L - x) / (6.0 * E * I)


def simply_supported_deflection(x, L, P, E=200e9, I=8.0e-6):
    """Deflection of a simply supported beam under a central point load."""
    if x <= L / 2.0:
        a = x
    else:
        a = L - x
    return P * a * (3.0 * L**2 - 4.0 * a**2) / (48.0 * E * I)


def euler_buckling_load(E, I, L, K=1.0):
    """Euler's critical buckling load of a column."""
    return math.pi**2 * E * I / (K * L) ** 2


def stress_strain_bilinear(strain, E=200e9, yield_stress=250e6):
    """Elastic–perfectly plastic stress–strain law."""
    return min(E * strain, yield_stress)


def reynolds_number(rho, v, D, mu):
    """Reynolds number of pipe flow."""
    return rho * v * D / mu


def darcy_weisbach_head_loss(v, D, L=100.0, roughness=4.5e-5, nu=1.0e-6):
    """Darcy–Weisbach head loss with the Swamee–Jain friction factor."""
    Re = v * D / nu
    log10_term = math.log(roughness / (3.7 * D) + 5.74 / Re**0.9) / LN10
    f = 0.25 / log10_term**2
    return f * L / D * v**2 / (2.0 * G_EARTH)


def colebrook_friction(Re, rel_roughness):
    """Colebrook–White friction factor by fixed-point iteration on 1/sqrt(f)."""
    x = 8.0
    for i in range(12):
        x = -2.0 / LN10 * math.log(rel_roughness / 3.7 + 2.51 * x / Re)
    return 1.0 / (x * x)


def hagen_poiseuille(dp, r, mu, L):
    """Hagen–Poiseuille volumetric flow rate through a pipe."""
    return math.pi * r**4 * dp / (8.0 * mu * L)


def manning_velocity(R_h, S, n=0.013):
    """Manning's formula for mean open-channel flow velocity (SI)."""
    return pow(R_h, 2.0 / 3.0) * sqrt(S) / n


def power_law_viscosity(shear_rate, K=0.5, n=0.6):
    """Apparent viscosity of an Ostwald–de Waele power-law fluid."""
    return K * pow(shear_rate, n - 1.0)


def newton_cooling(t, T0, T_ambient, k=0.05):
    """Newton's law of cooling."""
    return T_ambient + (T0 - T_ambient) * math.exp(-k * t)


def semi_infinite_conduction(x, t, T_surface, T_initial, alpha=1.0e-6):
    """Transient conduction in a semi-infinite solid after a surface temperature step."""
    return T_surface + (T_initial - T_surface) * math.erf(x / (2.0 * math.sqrt(alpha * t)))


def diffusion_profile(x, t, c0, D=1.0e-9):
    """Fick's second law: concentration with a constant surface concentration."""
    return c0 * math.erfc(x / (2.0 * math.sqrt(D * t)))


def fin_efficiency(m, L):
    """Efficiency of a straight fin with an adiabatic tip."""
    mL = m * L
    return math.tanh(mL) / mL


def fin_temperature(x, L, m):
    """Dimensionless temperature along a straight fin with an adiabatic tip."""
    return math.cosh(m * (L - x)) / math.cosh(m * L)


def rc_charge(t, R, C, V0=5.0):
    """Charge on a capacitor charging through a resistor."""
    tau = R * C
    return -C * V0 * math.expm1(-t / tau)


def lc_resonant_frequency(L, C):
    """Resonant frequency of an LC circuit."""
    return 1.0 / (2.0 * np.pi * np.sqrt(L * C))


def rlc_impedance(omega, R, L, C):
    """Magnitude of the impedance of a series RLC circuit."""
    X = omega * L - 1.0 / (omega * C)
    return math.hypot(R, X)


def rlc_phase(omega, R, L, C):
    """Phase angle of the impedance of a series RLC circuit."""
    return math.atan((omega * L - 1.0 / (omega * C)) / R)


def rl_phase(omega, R, L):
    """Phase angle of the impedance of a series RL circuit."""
    return np.arctan2(omega * L, R)


def butterworth_gain(omega, omega_c=1.0, n=4.0):
    """Magnitude response of an n-th order Butterworth low-pass filter."""
    return 1.0 / math.sqrt(1.0 + (omega / omega_c) ** (2.0 * n))


def decibel(V, V_ref=1.0):
    """Voltage ratio in decibels."""
    return 20.0 * np.log(V / V_ref) / LN10


def shannon_capacity(bandwidth, snr):
    """Shannon–Hartley channel capacity in bit/s."""
    return bandwidth * math.log1p(snr) / math.log(2.0)


def standard_atmosphere_pressure(h):
    """International Standard Atmosphere pressure (Pa) up to 32 km altitude."""
    g0_M_over_R = G_EARTH * 0.0289644 / 8.3144598
    if h < 11000.0:
        T = 288.15 - 0.0065 * h
        return 101325.0 * (T / 288.15) ** (g0_M_over_R / 0.0065)
    elif h < 20000.0:
        return 22632.64 * math.exp(-g0_M_over_R * (h - 11000.0) / 216.65)
    else:
        T = 216.65 + 0.001 * (h - 20000.0)
        return 5475.02 * (T / 216.65) ** (-g0_M_over_R / 0.001)


def infinite_slope_safety(phi, beta):
    """Factor of safety of a dry cohesionless infinite slope."""
    return math.tan(phi) / math.tan(beta)


def power_screw_torque(F, d, lead_angle, friction_angle):
    """Torque to raise a load with a square-thread power screw."""
    return F * d / 2.0 * math.tan(lead_angle + friction_angle)


def thermocouple_type_k(emf_mV):
    """NIST ITS-90 inverse polynomial for a type K thermocouple, 0-500 C (emf in mV)."""
    T = 0.0
    for d in (-1.052755e-8, 1.057734e-6, -4.413030e-5, 9.804036e-4, -1.228034e-2,
              8.315270e-2, -2.503131e-1, 7.860106e-2, 2.508355e1, 0.0):
        T = T * emf_mV + d
    return T


def boxcar_window(t, duration=1.0):
    """Rectangular (boxcar) window."""
    if t < 0.0 or t > duration:
        return 0.0
    return 1.0


def ideal_bandpass_gain(omega, omega_low=1.0, omega_high=10.0):
    """Magnitude response of an ideal band-pass filter."""
    return 1.0 if omega >= omega_low and omega <= omega_high else 0.0


def saturation(u, gain=2.0, u_min=-1.0, u_max=1.0):
    """Actuator saturation of an amplified control signal."""
    return np.minimum(u_max, np.maximum(u_min, gain * u))


def trapezoid_membership(x, a=0.0, b=1.0, c=2.0, d=3.0):
    """Trapezoidal fuzzy-set membership function."""
    if x <= a or x >= d:
        return 0.0
    elif b <= x <= c:
        return 1.0
    elif x < b:
        return (x - a) / (b - a)
    else:
        return (d - x) / (d - c)


def sawtooth_wave(t, period=1.0, amplitude=1.0):
    """Sawtooth wave rising from -A to A over each period."""
    phase = (t % period) / period
    return amplitude * (2.0 * phase - 1.0)


def triangle_wave(t, period=1.0):
    """Unit triangle wave."""
    phase = t / period - math.floor(t / period)
    return 1.0 - 4.0 * math.fabs(phase - 0.5)


def full_wave_rectifier(t, amplitude=1.0, freq=50.0):
    """Output of an ideal full-wave rectifier driven by a sine."""
    return math.fabs(amplitude * math.sin(2.0 * math.pi * freq * t))


def quantize(x, step=0.1):
    """Mid-rise uniform quantiser of an analogue-to-digital converter."""
    return step * (x // step) + 0.5 * step


def quantize_nearest(x, step=0.25):
    """Round-to-nearest uniform quantiser."""
    return step * math.floor(x / step + 0.5)


def zero_order_hold(t, Ts=0.1, f=1.0):
    """Sine wave sampled every Ts and held (zero-order hold)."""
    t_sample = (t // Ts) * Ts
    return math.sin(2.0 * math.pi * f * t_sample)


def pwm_signal(t, period=1.0e-3, duty=0.25):
    """Pulse-width-modulated square wave."""
    phase = t - period * (t // period)
    return 1.0 if phase < duty * period else 0.0


def wrap_angle(theta):
    """Wrap an angle into [-pi, pi)."""
    return (theta + math.pi) % (2.0 * math.pi) - math.pi


def solar_hour_angle(t_hours):
    """Solar hour angle in degrees from (solar) clock time in hours."""
    return 15.0 * ((t_hours % 24.0) - 12.0)


# --------------------------------------------------------------------------- geometry

def polar_to_cartesian(r, theta):
    """Polar to Cartesian coordinates."""
    return r * math.cos(theta), r * math.sin(theta)


def cartesian_to_polar(x, y):
    """Cartesian to polar coordinates."""
    return math.hypot(x, y), math.atan2(y, x)


def spherical_to_cartesian(r, theta, phi):
    """Spherical (physics convention) to Cartesian coordinates."""
    s = r * math.sin(theta)
    return s * math.cos(phi), s * math.sin(phi), r * math.cos(theta)


def cartesian_to_spherical(x, y, z):
    """Cartesian to spherical coordinates (r, polar angle, azimuth)."""
    rho = np.hypot(x, y)
    r = np.hypot(rho, z)
    return r, math.acos(z / r), np.arctan2(y, x)


def rotate_point(x, y, angle):
    """Rotate a point about the origin."""
    c, s = math.cos(angle), math.sin(angle)
    return c * x - s * y, s * x + c * y


def wind_speed_direction(u, v):
    """Wind speed and meteorological direction (degrees) from its u, v components."""
    speed = np.hypot(u, v)
    direction = 180.0 / np.pi * np.arctan2(-u, -v)
    return speed, direction


def haversine(lat1, lon1, lat2, lon2):
    """Haversine great-circle distance in km between two points given in degrees."""
    deg = math.pi / 180.0
    dlat = (lat2 - lat1) * deg
    dlon = (lon2 - lon1) * deg
    a = (math.sin(dlat / 2.0) ** 2
         + math.cos(lat1 * deg) * math.cos(lat2 * deg) * math.sin(dlon / 2.0) ** 2)
    return 2.0 * EARTH_RADIUS_KM * math.atan2(math.sqrt(a), math.sqrt(1.0 - a))


def law_of_cosines_angle(a, b, c):
    """Angle opposite side c of a triangle, by the law of cosines."""
    return math.acos((a * a + b * b - c * c) / (2.0 * a * b))


def vector_angle(x1, y1, x2, y2):
    """Angle between two plane vectors."""
    cos_angle = (x1 * x2 + y1 * y2) / (np.hypot(x1, y1) * np.hypot(x2, y2))
    return math.acos(max(-1.0, min(1.0, cos_angle)))


def manhattan_distance(x1, y1, x2, y2):
    """Taxicab distance between two points."""
    return math.fabs(x1 - x2) + math.fabs(y1 - y2)


def parabola_arc_length(x, a=1.0):
    """Arc length of the parabola y = a t^2 from t = 0 to t = x."""
    u = 2.0 * a * x
    return (u * math.sqrt(1.0 + u * u) + math.asinh(u)) / (4.0 * a)


# --------------------------------------------------------------------------- the corpus

CASES = [
    # physics
    Case(planck, {"nu": (1e12, 1e15), "T": (1000.0, 6000.0)}, "physics"),
    Case(maxwell_boltzmann_speed, {"v": (50.0, 2000.0), "T": (100.0, 1000.0), "m": (1e-26, 1e-25)}, "physics"),
    Case(lorentz_factor, {"v": (0.0, 2.9e8)}, "physics"),
    Case(relativistic_energy, {"m": (1e-31, 1e-26), "v": (0.0, 2.9e8)}, "physics"),
    Case(energy_momentum, {"m": (1e-30, 1e-27), "p": (1e-22, 1e-18)}, "physics"),
    Case(rapidity, {"m": (1e-30, 1e-27), "p": (1e-22, 1e-18)}, "physics"),
    Case(gravitational_force, {"m1": (1e22, 6e24), "m2": (1e22, 6e24), "r": (6.4e6, 4e8)}, "physics"),
    Case(coulomb_force, {"q1": (1e-9, 1e-6), "q2": (1e-9, 1e-6), "r": (0.01, 1.0)}, "physics"),
    Case(escape_velocity, {"M": (1e22, 2e30), "r": (1e6, 7e8)}, "physics"),
    Case(orbital_period, {"a": (1e10, 1e13), "M": (1e29, 1e31)}, "physics"),
    Case(damped_oscillator, {"t": (0.0, 20.0), "A": (0.5, 2.0), "zeta": (0.01, 0.9),
                             "omega0": (0.5, 5.0), "phi": (-math.pi, math.pi)}, "physics"),
    Case(damped_free_response, {"t": (0.0, 10.0), "zeta": (0.05, 3.0), "omega0": (0.5, 3.0)},
         "physics", smooth=False),
    Case(projectile_range, {"v0": (1.0, 100.0), "theta": (0.05, 1.5), "h": (0.0, 50.0)}, "physics"),
    Case(trajectory_height, {"x": (0.0, 100.0), "v0": (5.0, 100.0), "theta": (0.1, 1.3)}, "physics"),
    Case(falling_body_velocity, {"t": (0.0, 30.0), "m": (0.1, 100.0), "c_drag": (0.01, 1.0)}, "physics"),
    Case(pendulum_period, {"L": (0.1, 10.0), "theta0": (0.05, 2.5)}, "physics"),
    Case(kepler_eccentric_anomaly, {"M": (0.0, 2.0 * math.pi), "e": (0.0, 0.7)}, "physics"),
    Case(kepler_orbit_position, {"M": (0.0, 2.0 * math.pi), "e": (0.0, 0.7), "a": (0.5, 30.0)},
         "physics", n_outputs=2),
    Case(true_anomaly, {"E": (-3.0, 3.0), "e": (0.0, 0.9)}, "physics"),
    Case(stefan_boltzmann, {"T": (200.0, 6000.0), "emissivity": (0.1, 1.0), "area": (0.01, 10.0)}, "physics"),
    Case(doppler_shift, {"f0": (100.0, 10000.0), "v_source": (-100.0, 100.0),
                         "v_observer": (-100.0, 100.0), "c": (300.0, 360.0)}, "physics"),
    Case(relativistic_doppler, {"f0": (1e14, 1e15), "beta": (-0.9, 0.9)}, "physics"),
    Case(snell_refraction_angle, {"theta1": (-1.5, 1.5), "n1": (1.0, 2.0), "n2": (1.0, 2.0)},
         "physics", smooth=False),
    Case(critical_angle, {"n1": (1.4, 2.5), "n2": (1.0, 1.33)}, "physics"),
    Case(bragg_angle, {"wavelength": (0.5e-10, 1.5e-10), "d": (2e-10, 4e-10), "order": (1.0, 2.0)}, "physics"),
    Case(gaussian_beam_radius, {"z": (-1.0, 1.0), "w0": (1e-4, 1e-3), "wavelength": (4e-7, 1.1e-6)}, "physics"),
    Case(gouy_phase, {"z": (-1.0, 1.0), "w0": (1e-4, 1e-3), "wavelength": (4e-7, 1.1e-6)}, "physics"),
    Case(lennard_jones, {"r": (3.0, 10.0), "epsilon": (0.1, 1.0), "sigma": (3.0, 4.0)}, "physics"),
    Case(morse_potential, {"r": (0.4, 3.0), "De": (1.0, 5.0), "a": (1.0, 3.0), "re": (0.6, 1.2)}, "physics"),
    Case(radioactive_decay, {"t": (0.0, 100.0), "N0": (1e3, 1e20), "half_life": (1.0, 50.0)}, "physics"),
    Case(square_wave_fourier, {"t": (-5.0, 5.0), "omega": (0.5, 2.0)}, "physics"),
    Case(wave_phase_speed, {"k": (0.01, 10.0), "depth": (0.5, 100.0)}, "physics"),
    Case(langevin, {"x": (0.5, 20.0)}, "physics"),
    Case(paramagnet_magnetization, {"B": (0.01, 10.0), "T": (1.0, 300.0), "mu": (5e-24, 2e-23)}, "physics"),
    Case(catenary, {"x": (-5.0, 5.0), "a": (0.5, 5.0), "x0": (-1.0, 1.0)}, "physics"),
    Case(bose_einstein_occupancy, {"E": (0.001, 0.5), "T": (100.0, 1000.0), "mu": (-0.1, 0.0)}, "physics"),
    Case(fermi_dirac, {"E": (0.0, 5.0), "mu": (2.0, 4.0), "T": (300.0, 5000.0)}, "physics", smooth=False),
    Case(mean_field_magnetization, {"T": (0.3, 3.0), "Tc": (0.8, 1.2), "h": (0.001, 0.1)}, "physics"),
    Case(photoelectric_energy, {"nu": (1e14, 2e15), "work_function": (2.0, 5.0)}, "physics", smooth=False),
    Case(partition_function, {"T": (20.0, 2000.0)}, "physics"),
    Case(barometric_pressure, {"h": (0.0, 20000.0), "p0": (9e4, 1.1e5), "H": (7000.0, 9000.0)}, "physics"),
    Case(sellmeier_bk7, {"wavelength_um": (0.4, 1.6)}, "physics"),

    # chemistry
    Case(arrhenius, {"T": (250.0, 1000.0), "A": (1e10, 1e14), "Ea": (2e4, 1.5e5)}, "chemistry"),
    Case(eyring, {"T": (250.0, 1000.0), "dG": (4e4, 1.2e5)}, "chemistry"),
    Case(equilibrium_constant, {"dH": (-5e4, 5e4), "dS": (-100.0, 100.0), "T": (250.0, 1000.0)}, "chemistry"),
    Case(nernst_potential, {"c_ox": (1e-6, 1.0), "c_red": (1e-6, 1.0), "T": (273.0, 373.0),
                            "n": (1.0, 3.0), "E0": (-1.0, 1.0)}, "chemistry"),
    Case(butler_volmer, {"eta": (-0.3, 0.3), "i0": (1e-6, 1e-2), "T": (273.0, 373.0)}, "chemistry"),
    Case(ideal_gas_pressure, {"n": (0.1, 10.0), "T": (100.0, 1000.0), "V": (1e-3, 0.1)}, "chemistry"),
    Case(van_der_waals_pressure, {"n": (0.1, 10.0), "T": (100.0, 1000.0), "V": (1e-3, 0.1),
                                  "a": (0.01, 0.5), "b": (1e-5, 5e-5)}, "chemistry"),
    Case(henderson_hasselbalch, {"pKa": (2.0, 12.0), "base": (1e-4, 1.0), "acid": (1e-4, 1.0)}, "chemistry"),
    Case(debye_huckel_activity, {"I": (1e-4, 0.1), "z": (1.0, 3.0), "a": (3e-10, 9e-10)}, "chemistry"),
    Case(beer_lambert_transmittance, {"epsilon": (10.0, 1e4), "length": (0.1, 1.0), "conc": (1e-6, 1e-3)},
         "chemistry"),
    Case(clausius_clapeyron, {"T2": (280.0, 450.0), "T1": (350.0, 400.0), "P1": (5e4, 2e5),
                              "L": (3e4, 5e4)}, "chemistry"),
    Case(antoine_vapor_pressure, {"T": (1.0, 100.0), "A": (7.5, 8.5), "B": (1600.0, 1800.0),
                                  "C": (220.0, 240.0)}, "chemistry"),
    Case(freundlich_isotherm, {"C": (0.01, 100.0), "K_F": (0.5, 5.0), "n": (1.0, 5.0)}, "chemistry"),
    Case(shomate_heat_capacity, {"T": (298.0, 500.0)}, "chemistry"),
    Case(water_density, {"T": (0.0, 40.0)}, "chemistry"),
    Case(nasa_cp_over_r, {"T": (300.0, 1000.0)}, "chemistry"),

    # biology
    Case(michaelis_menten, {"S": (0.0, 100.0), "Vmax": (0.1, 10.0), "Km": (0.1, 50.0)}, "biology"),
    Case(hill_equation, {"L": (0.01, 10.0), "K": (0.1, 5.0), "n": (0.5, 4.0)}, "biology"),
    Case(logistic_growth, {"t": (0.0, 50.0), "K": (100.0, 1000.0), "N0": (1.0, 50.0), "r": (0.05, 1.0)},
         "biology"),
    Case(gompertz, {"t": (0.0, 20.0), "a": (0.5, 2.0), "b": (0.5, 5.0), "c": (0.1, 1.0)}, "biology"),
    Case(kleiber_metabolic_rate, {"M": (0.01, 5000.0), "B0": (2.0, 5.0)}, "biology"),
    Case(hodgkin_huxley_alpha_n, {"V": (-100.0, 50.0)}, "biology", smooth=False),
    Case(goldman_potential, {"K_out": (2.0, 20.0), "Na_in": (5.0, 30.0), "T": (290.0, 315.0),
                             "pNa": (0.01, 0.1), "pCl": (0.1, 1.0)}, "biology"),
    Case(lotka_volterra, {"x": (0.1, 50.0), "y": (0.1, 50.0), "alpha": (0.5, 2.0), "beta": (0.1, 1.0),
                          "delta": (0.05, 0.5), "gamma": (0.1, 1.0)}, "biology", n_outputs=2),
    Case(sir_rates, {"S": (100.0, 1e6), "I": (1.0, 1e4), "R": (0.0, 1e5), "beta": (0.1, 1.0),
                     "gamma": (0.05, 0.5)}, "biology", n_outputs=3),
    Case(hardy_weinberg, {"p": (0.0, 1.0)}, "biology", n_outputs=3),
    Case(liebig_growth, {"N": (0.01, 5.0), "P": (0.001, 0.5), "mu_max": (0.2, 2.0), "K_N": (0.1, 1.0),
                         "K_P": (0.01, 0.1)}, "biology", smooth=False),
    Case(asinh_transform, {"x": (-1000.0, 1e5), "cofactor": (5.0, 500.0)}, "biology"),

    # statistics
    Case(gaussian_pdf, {"x": (-5.0, 5.0), "mu": (-1.0, 1.0), "sigma": (0.5, 2.0)}, "statistics"),
    Case(lognormal_pdf, {"x": (0.01, 10.0), "mu": (-1.0, 1.0), "sigma": (0.3, 2.0)}, "statistics"),
    Case(student_t_pdf, {"x": (-10.0, 10.0), "nu": (1.0, 30.0)}, "statistics"),
    Case(tsne_kernel, {"x1": (-5.0, 5.0), "y1": (-5.0, 5.0), "x2": (-5.0, 5.0), "y2": (-5.0, 5.0)}, "statistics"),
    Case(gamma_pdf, {"x": (0.01, 20.0), "k": (0.5, 8.0), "theta": (0.5, 3.0)}, "statistics"),
    Case(chi_square_pdf, {"x": (0.01, 30.0), "k": (1.0, 20.0)}, "statistics"),
    Case(beta_pdf, {"x": (0.01, 0.99), "a": (0.5, 10.0), "b": (0.5, 10.0)}, "statistics"),
    Case(poisson_pmf, {"k": (0.0, 30.0), "lam": (0.5, 20.0)}, "statistics"),
    Case(weibull_pdf, {"x": (0.01, 3.0), "k": (0.5, 4.0), "lam": (0.8, 3.0)}, "statistics"),
    Case(weibull_mean, {"k": (0.5, 5.0), "lam": (0.5, 3.0)}, "statistics"),
    Case(normal_cdf, {"x": (-5.0, 5.0), "mu": (-1.0, 1.0), "sigma": (0.5, 2.0)}, "statistics"),
    Case(normal_tail, {"x": (-5.0, 8.0)}, "statistics"),
    Case(normal_cdf_zelen_severo, {"x": (0.0, 5.0)}, "statistics"),
    Case(erf_abramowitz_stegun, {"x": (-3.0, 3.0)}, "statistics", smooth=False),
    Case(cauchy_cdf, {"x": (-20.0, 20.0), "x0": (-2.0, 2.0), "gamma": (0.2, 3.0)}, "statistics"),
    Case(laplace_pdf, {"x": (-5.0, 5.0), "mu": (-1.0, 1.0), "b": (0.5, 2.0)}, "statistics", smooth=False),
    Case(triangular_pdf, {"x": (-1.0, 4.0), "a": (-0.5, 0.5), "c": (0.8, 2.0), "b": (2.5, 3.5)},
         "statistics", smooth=False),
    Case(triangular_kernel, {"u": (-1.5, 1.5)}, "statistics", smooth=False),
    Case(gaussian_mixture_pdf, {"x": (-5.0, 6.0)}, "statistics"),
    Case(box_muller, {"u1": (0.01, 0.99), "u2": (0.0, 1.0)}, "statistics", n_outputs=2),
    Case(logistic_sigmoid, {"x": (-30.0, 30.0)}, "statistics", smooth=False),
    Case(softplus, {"x": (-40.0, 40.0)}, "statistics", smooth=False),
    Case(log_sum_exp3, {"a": (-50.0, 50.0), "b": (-50.0, 50.0), "c": (-50.0, 50.0)}, "statistics", smooth=False),
    Case(binary_cross_entropy, {"p": (0.01, 0.99), "y": (0.0, 1.0)}, "statistics"),
    Case(logistic_loss, {"margin": (-20.0, 20.0)}, "statistics"),
    Case(hinge_loss, {"margin": (-3.0, 3.0)}, "statistics", smooth=False),
    Case(huber_loss, {"r": (-5.0, 5.0), "delta": (0.5, 2.0)}, "statistics", smooth=False),
    Case(smooth_l1, {"x": (-5.0, 5.0), "beta": (0.5, 2.0)}, "statistics", smooth=False),
    Case(relu, {"x": (-5.0, 5.0)}, "statistics", smooth=False),
    Case(leaky_relu, {"x": (-5.0, 5.0), "alpha": (0.001, 0.3)}, "statistics", smooth=False),
    Case(relu6, {"x": (-3.0, 9.0)}, "statistics", smooth=False),
    Case(hard_sigmoid, {"x": (-6.0, 6.0)}, "statistics", smooth=False),
    Case(gelu, {"x": (-6.0, 6.0)}, "statistics"),
    Case(gelu_tanh, {"x": (-6.0, 6.0)}, "statistics"),
    Case(stirling_factorial, {"n": (1.0, 50.0)}, "mathematics"),
    Case(soft_threshold, {"x": (-3.0, 3.0), "lam": (0.1, 1.0)}, "statistics", smooth=False),
    Case(bessel_j0, {"x": (0.0, 6.0)}, "mathematics"),
    Case(chebyshev_exp, {"x": (-1.0, 1.0)}, "mathematics"),
    Case(sin_taylor, {"x": (-math.pi, math.pi)}, "mathematics"),

    # finance
    Case(black_scholes_call, {"S": (80.0, 120.0), "K": (80.0, 120.0), "T": (0.25, 2.0), "r": (0.0, 0.1),
                              "sigma": (0.15, 0.5)}, "finance"),
    Case(black_scholes_put, {"S": (80.0, 120.0), "K": (80.0, 120.0), "T": (0.25, 2.0), "r": (0.0, 0.1),
                             "sigma": (0.15, 0.5)}, "finance"),
    Case(compound_interest, {"P": (100.0, 1e6), "r": (0.001, 0.2), "n": (1.0, 365.0), "t": (0.0, 30.0)}, "finance"),
    Case(discrete_compounding, {"P": (100.0, 1e6), "r": (0.001, 0.2), "t": (0.0, 30.0), "n": (1.0, 12.0)},
         "finance", smooth=False),
    Case(continuous_rate, {"r": (0.001, 0.3), "n": (1.0, 365.0)}, "finance"),
    Case(log_return, {"price_new": (10.0, 200.0), "price_old": (10.0, 200.0)}, "finance"),
    Case(annuity_payment, {"P": (1e3, 1e6), "r": (0.001, 0.02), "n": (12.0, 360.0)}, "finance"),
    Case(bond_price, {"face": (100.0, 1000.0), "coupon_rate": (0.0, 0.1), "ytm": (0.005, 0.15)}, "finance"),
    Case(macaulay_duration, {"coupon_rate": (0.01, 0.1), "ytm": (0.005, 0.15)}, "finance"),
    Case(kelly_fraction, {"p": (0.3, 0.9), "b": (0.5, 5.0)}, "finance", smooth=False),
    Case(gordon_growth, {"D1": (0.5, 5.0), "r": (0.08, 0.15), "g": (0.0, 0.06)}, "finance"),
    Case(income_tax, {"income": (0.0, 100000.0)}, "finance", smooth=False),
    Case(leontief_production, {"x": (0.1, 10.0), "y": (0.1, 10.0), "a": (0.2, 2.0), "b": (0.5, 4.0)},
         "economics", smooth=False),

    # optimization
    Case(rosenbrock, {"x": (-2.0, 2.0), "y": (-1.0, 3.0), "a": (0.5, 2.0), "b": (10.0, 100.0)}, "optimization"),
    Case(himmelblau, {"x": (-5.0, 5.0), "y": (-5.0, 5.0)}, "optimization"),
    Case(beale, {"x": (-4.5, 4.5), "y": (-4.5, 4.5)}, "optimization"),
    Case(booth, {"x": (-10.0, 10.0), "y": (-10.0, 10.0)}, "optimization"),
    Case(rastrigin, {"x": (-5.12, 5.12), "y": (-5.12, 5.12), "z": (-5.12, 5.12)}, "optimization"),
    Case(ackley, {"x": (-5.0, 5.0), "y": (-5.0, 5.0)}, "optimization"),
    Case(styblinski_tang, {"x": (-5.0, 5.0), "y": (-5.0, 5.0)}, "optimization"),
    Case(six_hump_camel, {"x": (-3.0, 3.0), "y": (-2.0, 2.0)}, "optimization"),
    Case(goldstein_price, {"x": (-2.0, 2.0), "y": (-2.0, 2.0)}, "optimization"),
    Case(sphere, {"x": (-5.0, 5.0), "y": (-5.0, 5.0), "z": (-5.0, 5.0)}, "optimization"),
    Case(easom, {"x": (0.0, 6.0), "y": (0.0, 6.0)}, "optimization"),

    # engineering
    Case(cantilever_deflection, {"x": (0.0, 2.0), "L": (2.0, 5.0), "P": (100.0, 1e4), "E": (70e9, 210e9),
                                 "I": (1e-6, 1e-4)}, "engineering"),
    Case(simply_supported_deflection, {"x": (0.0, 2.5), "L": (2.5, 5.0), "P": (100.0, 1e4),
                                       "E": (70e9, 210e9), "I": (1e-6, 1e-4)}, "engineering", smooth=False),
    Case(euler_buckling_load, {"E": (70e9, 210e9), "I": (1e-8, 1e-5), "L": (0.5, 10.0), "K": (0.5, 2.0)},
         "engineering"),
    Case(stress_strain_bilinear, {"strain": (0.0, 0.01), "E": (70e9, 210e9), "yield_stress": (1e8, 5e8)},
         "engineering", smooth=False),
    Case(reynolds_number, {"rho": (0.5, 1500.0), "v": (0.01, 50.0), "D": (0.001, 2.0), "mu": (1e-5, 1.0)},
         "engineering"),
    Case(darcy_weisbach_head_loss, {"v": (0.5, 5.0), "D": (0.05, 0.5), "L": (10.0, 1000.0),
                                    "roughness": (1e-6, 1e-3), "nu": (5e-7, 2e-6)}, "engineering"),
    Case(colebrook_friction, {"Re": (4e3, 1e7), "rel_roughness": (1e-6, 0.01)}, "engineering"),
    Case(hagen_poiseuille, {"dp": (10.0, 1e5), "r": (1e-4, 1e-2), "mu": (1e-3, 1.0), "L": (0.01, 10.0)},
         "engineering"),
    Case(manning_velocity, {"R_h": (0.05, 5.0), "S": (1e-5, 0.01), "n": (0.01, 0.05)}, "engineering"),
    Case(power_law_viscosity, {"shear_rate": (0.1, 1000.0), "K": (0.1, 10.0), "n": (0.2, 1.5)}, "engineering"),
    Case(newton_cooling, {"t": (0.0, 100.0), "T0": (20.0, 100.0), "T_ambient": (0.0, 40.0), "k": (0.01, 0.2)},
         "engineering"),
    Case(semi_infinite_conduction, {"x": (0.0, 0.1), "t": (60.0, 36000.0), "T_surface": (0.0, 100.0),
                                    "T_initial": (0.0, 100.0), "alpha": (1e-7, 1e-5)}, "engineering"),
    Case(diffusion_profile, {"x": (0.0, 5e-4), "t": (100.0, 1e4), "c0": (0.1, 10.0), "D": (1e-10, 1e-8)},
         "engineering"),
    Case(fin_efficiency, {"m": (1.0, 50.0), "L": (0.005, 0.1)}, "engineering"),
    Case(fin_temperature, {"x": (0.0, 0.05), "L": (0.05, 0.1), "m": (1.0, 50.0)}, "engineering"),
    Case(rc_charge, {"t": (0.0, 1e-2), "R": (100.0, 1e5), "C": (1e-9, 1e-5), "V0": (1.0, 12.0)}, "engineering"),
    Case(lc_resonant_frequency, {"L": (1e-6, 1.0), "C": (1e-12, 1e-4)}, "engineering"),
    Case(rlc_impedance, {"omega": (10.0, 1e5), "R": (1.0, 1000.0), "L": (1e-3, 1.0), "C": (1e-9, 1e-5)},
         "engineering"),
    Case(rlc_phase, {"omega": (10.0, 1e5), "R": (1.0, 1000.0), "L": (1e-3, 1.0), "C": (1e-9, 1e-5)},
         "engineering"),
    Case(rl_phase, {"omega": (10.0, 1e5), "R": (1.0, 1000.0), "L": (1e-3, 1.0)}, "engineering"),
    Case(butterworth_gain, {"omega": (0.01, 10.0), "omega_c": (0.5, 2.0), "n": (1.0, 6.0)}, "engineering"),
    Case(decibel, {"V": (1e-3, 100.0), "V_ref": (0.1, 10.0)}, "engineering"),
    Case(shannon_capacity, {"bandwidth": (1e3, 1e8), "snr": (0.01, 1e4)}, "engineering"),
    Case(standard_atmosphere_pressure, {"h": (0.0, 32000.0)}, "engineering", smooth=False),
    Case(infinite_slope_safety, {"phi": (0.3, 0.8), "beta": (0.1, 0.7)}, "engineering"),
    Case(power_screw_torque, {"F": (100.0, 1e5), "d": (0.01, 0.1), "lead_angle": (0.02, 0.2),
                              "friction_angle": (0.05, 0.3)}, "engineering"),
    Case(thermocouple_type_k, {"emf_mV": (0.0, 20.644)}, "engineering"),
    Case(boxcar_window, {"t": (-0.3, 1.8), "duration": (0.5, 2.0)}, "engineering", smooth=False),
    Case(ideal_bandpass_gain, {"omega": (0.1, 15.0), "omega_low": (0.5, 2.0), "omega_high": (5.0, 20.0)},
         "engineering", smooth=False),
    Case(saturation, {"u": (-2.0, 2.0), "gain": (0.5, 5.0), "u_min": (-2.0, -0.5), "u_max": (0.5, 2.0)},
         "engineering", smooth=False),
    Case(trapezoid_membership, {"x": (-1.0, 4.0), "a": (-0.5, 0.5), "b": (0.8, 1.2), "c": (1.8, 2.2),
                                "d": (2.8, 3.2)}, "engineering", smooth=False),
    Case(sawtooth_wave, {"t": (-5.0, 5.0), "period": (0.5, 2.0), "amplitude": (0.5, 2.0)},
         "engineering", smooth=False),
    Case(triangle_wave, {"t": (-5.0, 5.0), "period": (0.5, 2.0)}, "engineering", smooth=False),
    Case(full_wave_rectifier, {"t": (0.0, 0.1), "amplitude": (0.5, 10.0), "freq": (10.0, 100.0)},
         "engineering", smooth=False),
    Case(quantize, {"x": (-5.0, 5.0), "step": (0.01, 1.0)}, "engineering", smooth=False),
    Case(quantize_nearest, {"x": (-5.0, 5.0), "step": (0.05, 1.0)}, "engineering", smooth=False),
    Case(zero_order_hold, {"t": (0.0, 5.0), "Ts": (0.01, 0.5), "f": (0.1, 2.0)}, "engineering", smooth=False),
    Case(pwm_signal, {"t": (0.0, 0.01), "period": (5e-4, 2e-3), "duty": (0.1, 0.9)}, "engineering", smooth=False),
    Case(wrap_angle, {"theta": (-20.0, 20.0)}, "engineering", smooth=False),
    Case(solar_hour_angle, {"t_hours": (0.0, 72.0)}, "engineering", smooth=False),

    # geometry
    Case(polar_to_cartesian, {"r": (0.0, 10.0), "theta": (-math.pi, math.pi)}, "geometry", n_outputs=2),
    Case(cartesian_to_polar, {"x": (0.1, 5.0), "y": (-5.0, 5.0)}, "geometry", n_outputs=2),
    Case(spherical_to_cartesian, {"r": (0.0, 10.0), "theta": (0.0, math.pi), "phi": (-math.pi, math.pi)},
         "geometry", n_outputs=3),
    Case(cartesian_to_spherical, {"x": (0.1, 5.0), "y": (-5.0, 5.0), "z": (-5.0, 5.0)}, "geometry", n_outputs=3),
    Case(rotate_point, {"x": (-10.0, 10.0), "y": (-10.0, 10.0), "angle": (-math.pi, math.pi)},
         "geometry", n_outputs=2),
    Case(wind_speed_direction, {"u": (0.5, 20.0), "v": (-20.0, 20.0)}, "geophysics", n_outputs=2),
    Case(haversine, {"lat1": (-80.0, 80.0), "lon1": (-180.0, 180.0), "lat2": (-80.0, 80.0),
                     "lon2": (-180.0, 180.0)}, "geophysics"),
    Case(law_of_cosines_angle, {"a": (3.0, 4.0), "b": (3.0, 4.0), "c": (1.5, 5.5)}, "geometry"),
    Case(vector_angle, {"x1": (0.5, 5.0), "y1": (-5.0, 5.0), "x2": (-5.0, 5.0), "y2": (0.5, 5.0)},
         "geometry", smooth=False),
    Case(manhattan_distance, {"x1": (-10.0, 10.0), "y1": (-10.0, 10.0), "x2": (-10.0, 10.0),
                              "y2": (-10.0, 10.0)}, "geometry", smooth=False),
    Case(parabola_arc_length, {"x": (0.0, 5.0), "a": (0.1, 3.0)}, "geometry"),
]
