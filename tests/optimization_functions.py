"""Optimization test functions as their published definitions are written with numpy:
the n-dimensional ones of the usual collections (Ackley, Rastrigin, Griewank, Levy,
Michalewicz, Zakharov, Dixon-Price, Powell, ...) and two-dimensional classics taking a
vector (Beale, Himmelblau, Branin, ...), with Hartmann's and Shekel's constant tables
written inside the function.  Plain numpy source: ``tests/test_optimization_functions.py``
decorates each and compares it with itself run by numpy."""
import numpy as np

import pyexpr as px

def ackley(x):
    n = len(x)
    return -20*np.exp(-0.2*np.sqrt(np.sum(x**2)/n)) - np.exp(np.sum(np.cos(2*np.pi*x))/n) + 20 + np.e

def rastrigin(x):
    return 10*len(x) + np.sum(x**2 - 10*np.cos(2*np.pi*x))

def griewank(x):
    i = np.arange(1, len(x) + 1)
    return np.sum(x**2)/4000 - np.prod(np.cos(x/np.sqrt(i))) + 1

def styblinski_tang(x):
    return 0.5*np.sum(x**4 - 16*x**2 + 5*x)

def zakharov(x):
    i = np.arange(1, len(x) + 1)
    s1 = np.sum(x**2)
    s2 = np.sum(0.5*i*x)
    return s1 + s2**2 + s2**4

def dixon_price(x):
    i = np.arange(2, len(x) + 1)
    return (x[0] - 1)**2 + np.sum(i*(2*x[1:]**2 - x[:-1])**2)

def levy(x):
    w = 1 + (x - 1)/4
    term1 = np.sin(np.pi*w[0])**2
    term3 = (w[-1] - 1)**2*(1 + np.sin(2*np.pi*w[-1])**2)
    wi = w[:-1]
    return term1 + np.sum((wi - 1)**2*(1 + 10*np.sin(np.pi*wi + 1)**2)) + term3

def michalewicz(x):
    m = 10
    i = np.arange(1, len(x) + 1)
    return -np.sum(np.sin(x)*np.sin(i*x**2/np.pi)**(2*m))

def schwefel(x):
    return 418.9829*len(x) - np.sum(x*np.sin(np.sqrt(np.abs(x))))

def sum_powers(x):
    i = np.arange(1, len(x) + 1)
    return np.sum(np.abs(x)**(i + 1))

def trid(x):
    return np.sum((x - 1)**2) - np.sum(x[1:]*x[:-1])

def rot_hyper_ellipsoid(x):
    return np.sum(np.cumsum(x**2))

def sum_squares(x):
    i = np.arange(1, len(x) + 1)
    return np.sum(i*x**2)

def qing(x):
    i = np.arange(1, len(x) + 1)
    return np.sum((x**2 - i)**2)

def alpine1(x):
    return np.sum(np.abs(x*np.sin(x) + 0.1*x))

def salomon(x):
    r = np.sqrt(np.sum(x**2))
    return 1 - np.cos(2*np.pi*r) + 0.1*r

def brown(x):
    a = x[:-1]**2
    b = x[1:]**2
    return np.sum(a**(b + 1) + b**(a + 1))

def chung_reynolds(x):
    return np.sum(x**2)**2

def quartic(x):
    i = np.arange(1, len(x) + 1)
    return np.sum(i*x**4)

def schwefel_222(x):
    return np.sum(np.abs(x)) + np.prod(np.abs(x))

def schwefel_221(x):
    return np.max(np.abs(x))

def chebyshev_residual(x):
    return np.max(np.abs(x - np.mean(x))) + 0.1*np.sum(x**2)

def schwefel_12(x):
    return np.sum(np.cumsum(x)**2)

def bent_cigar(x):
    return x[0]**2 + 1e6*np.sum(x[1:]**2)

def discus(x):
    return 1e6*x[0]**2 + np.sum(x[1:]**2)

def elliptic(x):
    n = len(x)
    i = np.arange(n)
    return np.sum(10**(6*i/(n - 1))*x**2)

def weierstrass(x):
    a, b, kmax = 0.5, 3.0, 20
    n = len(x)
    s = 0.0
    c = 0.0
    for k in range(kmax + 1):
        s = s + np.sum(a**k*np.cos(2*np.pi*b**k*(x + 0.5)))
        c = c + a**k*np.cos(np.pi*b**k)
    return s - n*c

def whitley(x):
    xi = x[:, None]
    xj = x[None, :]
    y = 100*(xi**2 - xj)**2 + (1 - xj)**2
    return np.sum(y**2/4000 - np.cos(y) + 1)

def trigonometric(x):
    n = len(x)
    i = np.arange(1, n + 1)
    return np.sum((n - np.sum(np.cos(x)) + i*(1 - np.cos(x)) - np.sin(x))**2)

def powell(x):
    a = x[0::4]; b = x[1::4]; c = x[2::4]; d = x[3::4]
    return np.sum((a + 10*b)**2 + 5*(c - d)**2 + (b - 2*c)**4 + 10*(a - d)**4)

def rosen_loop(x):
    s = 0.0
    for i in range(len(x) - 1):
        s += 100.0*(x[i+1] - x[i]**2)**2 + (1 - x[i])**2
    return s

def perm(x):
    n = len(x)
    beta = 0.5
    j = np.arange(1, n + 1)
    s = 0.0
    for i in range(1, n + 1):
        s += np.sum((j + beta)*(x**i - 1/j**i))**2
    return s

def powell_loop(x):
    s = 0.0
    for i in range(len(x) // 4):
        a, b, c, d = x[4*i], x[4*i + 1], x[4*i + 2], x[4*i + 3]
        s += (a + 10*b)**2 + 5*(c - d)**2 + (b - 2*c)**4 + 10*(a - d)**4
    return s

def extended_rosen_loop(x):
    s = 0.0
    for i in range(len(x) // 2):
        s += 100.0*(x[2*i + 1] - x[2*i]**2)**2 + (1.0 - x[2*i])**2
    return s

def perm_db(x, beta=0.5):
    d = len(x)
    j = np.arange(1, d + 1)
    return sum(np.sum((j**i + beta)*((x/j)**i - 1))**2 for i in range(1, d + 1))

def ackley_defaults(x, a=20.0, b=0.2, c=2*np.pi):
    n = len(x)
    return -a*np.exp(-b*np.sqrt(np.sum(x**2)/n)) - np.exp(np.sum(np.cos(c*x))/n) + a + np.e

def broyden_tridiagonal(x):
    n = len(x)
    h = n // 2
    return np.sum(((3 - 2*x[1:-1])*x[1:-1] - x[:-2] - 2*x[2:] + 1)**2) + x[h]**2

def exponential(x):
    return -np.exp(-0.5*np.sum(x**2))

def happy_cat(x):
    n = len(x)
    r2 = np.sum(x**2)
    return ((r2 - n)**2)**0.125 + (0.5*r2 + np.sum(x))/n + 0.5

def xin_she_yang2(x):
    return np.sum(np.abs(x))*np.exp(-np.sum(np.sin(x**2)))

def step(x):
    return np.sum(np.floor(x + 0.5)**2)

def dejong5_like(x):
    return np.sum(x**2) + np.sum(x)**2

def styblinski_mean(x):
    return np.mean(x**4 - 16*x**2 + 5*x)/2

def norm_based(x):
    return np.linalg.norm(x)**2 + np.dot(x, x)

# 2-D classics, vector arg
def beale(x):
    x1, x2 = x
    return (1.5 - x1 + x1*x2)**2 + (2.25 - x1 + x1*x2**2)**2 + (2.625 - x1 + x1*x2**3)**2

def himmelblau(x):
    return (x[0]**2 + x[1] - 11)**2 + (x[0] + x[1]**2 - 7)**2

def goldstein_price(x):
    x1, x2 = x[0], x[1]
    a = 1 + (x1 + x2 + 1)**2*(19 - 14*x1 + 3*x1**2 - 14*x2 + 6*x1*x2 + 3*x2**2)
    b = 30 + (2*x1 - 3*x2)**2*(18 - 32*x1 + 12*x1**2 + 48*x2 - 36*x1*x2 + 27*x2**2)
    return a*b

def easom(x):
    return -np.cos(x[0])*np.cos(x[1])*np.exp(-(x[0] - np.pi)**2 - (x[1] - np.pi)**2)

def eggholder(x):
    x1, x2 = x
    return -(x2 + 47)*np.sin(np.sqrt(abs(x2 + x1/2 + 47))) - x1*np.sin(np.sqrt(abs(x1 - (x2 + 47))))

def six_hump(x):
    x1, x2 = x
    return (4 - 2.1*x1**2 + x1**4/3)*x1**2 + x1*x2 + (-4 + 4*x2**2)*x2**2

def branin(x):
    a, b, c, r, s, t = 1, 5.1/(4*np.pi**2), 5/np.pi, 6, 10, 1/(8*np.pi)
    return a*(x[1] - b*x[0]**2 + c*x[0] - r)**2 + s*(1 - t)*np.cos(x[0]) + s

def booth(x):
    return (x[0] + 2*x[1] - 7)**2 + (2*x[0] + x[1] - 5)**2

def mccormick(x):
    return np.sin(x[0] + x[1]) + (x[0] - x[1])**2 - 1.5*x[0] + 2.5*x[1] + 1

def hartmann3(x: px.Vector):
    alpha = np.array([1.0, 1.2, 3.0, 3.2])
    A = np.array([[3.0, 10, 30], [0.1, 10, 35], [3.0, 10, 30], [0.1, 10, 35]])
    P = 1e-4*np.array([[3689, 1170, 2673], [4699, 4387, 7470], [1091, 8732, 5547], [381, 5743, 8828]])
    return -np.sum(alpha*np.exp(-np.sum(A*(x - P)**2, axis=1)))

def shekel(x: px.Vector):
    m = 10
    beta = 0.1*np.array([1, 2, 2, 4, 4, 6, 3, 7, 5, 5])
    C = np.array([[4.0, 1, 8, 6, 3, 2, 5, 8, 6, 7],
                  [4.0, 1, 8, 6, 7, 9, 3, 1, 2, 3.6],
                  [4.0, 1, 8, 6, 3, 2, 5, 8, 6, 7],
                  [4.0, 1, 8, 6, 7, 9, 3, 1, 2, 3.6]])
    s = 0.0
    for i in range(m):
        s += 1/(np.sum((x - C[:, i])**2) + beta[i])
    return -s


def pinter(x):
    n = len(x)
    i = np.arange(1, n + 1)
    xm = np.roll(x, 1)
    xp = np.roll(x, -1)
    A = xm*np.sin(x) + np.sin(xp)
    B = xm**2 - 2*x + 3*xp - np.cos(x) + 1
    return np.sum(i*x**2) + np.sum(20*i*np.sin(A)**2) + np.sum(i*np.log10(1 + i*B**2))


def sum_squares_float_index(x):
    i = np.arange(1.0, len(x) + 1.0)
    return np.sum(i * x**2)


def griewank_float_index(x):
    i = np.arange(1, len(x) + 1, dtype=float)
    return np.sum(x**2) / 4000 - np.prod(np.cos(x / np.sqrt(i))) + 1
