"""Six small PyMC models of different kinds with synthetic data (tests and benchmarks)."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np


def eight_schools():
    import pymc as pm

    y = np.array([28.0, 8.0, -3.0, 7.0, -1.0, 1.0, 18.0, 12.0])
    sigma = np.array([15.0, 10.0, 16.0, 11.0, 9.0, 11.0, 10.0, 18.0])
    with pm.Model() as model:
        mu = pm.Normal("mu", 0.0, 5.0)
        tau = pm.HalfCauchy("tau", 5.0)
        theta_t = pm.Normal("theta_t", 0.0, 1.0, shape=8)
        pm.Normal("obs", mu + tau * theta_t, sigma, observed=y)
    return model


def logistic(n: int = 50, k: int = 3):
    import pymc as pm

    rng = np.random.default_rng(1)
    X = rng.normal(size=(n, k))
    coef = np.resize(np.array([1.0, -2.0, 0.5]), k)
    y = (rng.random(n) < 1 / (1 + np.exp(-X @ coef))).astype(float)
    with pm.Model() as model:
        beta = pm.Normal("beta", 0.0, 2.0, shape=k)
        alpha = pm.Normal("alpha", 0.0, 2.0)
        pm.Bernoulli("y", logit_p=alpha + pm.math.dot(X, beta), observed=y)
    return model


def radon():
    import pymc as pm

    rng = np.random.default_rng(2)
    county = rng.integers(0, 6, size=40)
    floor = rng.integers(0, 2, size=40).astype(float)
    y = rng.normal(1.0 + 0.3 * county - 0.6 * floor, 0.7)
    with pm.Model() as model:
        mu_a = pm.Normal("mu_a", 0.0, 10.0)
        sigma_a = pm.HalfNormal("sigma_a", 2.0)
        a = pm.Normal("a", mu_a, sigma_a, shape=6)
        b = pm.Normal("b", 0.0, 1.0)
        eps = pm.Exponential("eps", 1.0)
        # a[county] as a one-hot product (the importer has no gather op yet)
        onehot = np.eye(6)[county]
        pm.Normal("y", pm.math.dot(onehot, a) + b * floor, eps, observed=y)
    return model


def mixture(n: int = 50):
    import pymc as pm

    rng = np.random.default_rng(3)
    y = np.concatenate([rng.normal(-2, 1, 3 * n // 5), rng.normal(3, 0.5, n - 3 * n // 5)])
    with pm.Model() as model:
        w = pm.Beta("w", 2.0, 2.0)
        mu1 = pm.Normal("mu1", -1.0, 5.0)
        mu2 = pm.Normal("mu2", 1.0, 5.0)
        sd1 = pm.HalfNormal("sd1", 2.0)
        sd2 = pm.HalfNormal("sd2", 2.0)
        lp1 = pm.math.log(w) + pm.logp(pm.Normal.dist(mu1, sd1), y)
        lp2 = pm.math.log(1 - w) \
            + pm.logp(pm.Normal.dist(mu2, sd2), y)
        pm.Potential("mix", pm.math.logaddexp(lp1, lp2).sum())
    return model


def poisson_glm():
    import pymc as pm

    rng = np.random.default_rng(4)
    x = rng.normal(size=40)
    y = rng.poisson(np.exp(0.5 + 0.8 * x))
    with pm.Model() as model:
        a = pm.Normal("a", 0.0, 1.0)
        b = pm.Normal("b", 0.0, 1.0)
        pm.Poisson("y", mu=pm.math.exp(a + b * x), observed=y)
    return model


def robust_ar():
    import pymc as pm

    rng = np.random.default_rng(5)
    y = np.cumsum(rng.standard_t(4, size=30)) * 0.3
    with pm.Model() as model:
        rho = pm.Normal("rho", 0.0, 0.5)
        sigma = pm.HalfNormal("sigma", 1.0)
        pm.StudentT("y", nu=4.0, mu=rho * y[:-1], sigma=sigma, observed=y[1:])
    return model


MODELS: dict[str, Callable] = {
    "eight_schools": eight_schools, "logistic": logistic, "radon": radon,
    "mixture": mixture, "poisson_glm": poisson_glm, "robust_ar": robust_ar,
}


def robust_ar_nu(n: int = 30):
    """Robust AR with the degrees of freedom estimated: GammaLn and Psi of a parameter."""
    import pymc as pm

    rng = np.random.default_rng(5)
    y = np.cumsum(rng.standard_t(4, size=n)) * 0.3
    with pm.Model() as model:
        rho = pm.Normal("rho", 0.0, 0.5)
        sigma = pm.HalfNormal("sigma", 1.0)
        nu = pm.Gamma("nu", 2.0, 0.1)
        pm.StudentT("y", nu=nu, mu=rho * y[:-1], sigma=sigma, observed=y[1:])
    return model


# Larger data for the benchmark (per-element work decides there, not per-call overhead).
LARGE: dict[str, Callable] = {
    "logistic_2000x5": lambda: logistic(2000, 5),
    "mixture_5000": lambda: mixture(5000),
    "robust_ar_nu_3000": lambda: robust_ar_nu(3000),
}
