"""More PyMC models of different kinds with synthetic data (tests and benchmarks): random
walks, non-centered hierarchies with index gathers, ordinal and categorical likelihoods,
censoring, zero inflation, ``pm.Data`` containers, correlated effects."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np


def stoch_vol(n: int = 60):
    """Stochastic volatility: a Gaussian random walk of log-volatilities, Student-t returns."""
    import pymc as pm

    rng = np.random.default_rng(11)
    r = rng.standard_t(5, size=n) * np.exp(np.cumsum(rng.normal(0, 0.1, n)))
    with pm.Model() as model:
        step = pm.Exponential("step", 10.0)
        nu = pm.Exponential("nu", 0.1)
        s = pm.GaussianRandomWalk("s", sigma=step, init_dist=pm.Normal.dist(0.0, 1.0),
                                  shape=n)
        pm.StudentT("r", nu=nu, lam=pm.math.exp(-2 * s), observed=r)
    return model


def hier_logistic_nc(n: int = 80, groups: int = 7):
    """Hierarchical logistic regression, non-centered group intercepts ``a[group]``."""
    import pymc as pm

    rng = np.random.default_rng(12)
    g = rng.integers(0, groups, size=n)
    x = rng.normal(size=n)
    y = rng.random(n) < 1 / (1 + np.exp(-(0.3 * g - 1 + 0.8 * x)))
    with pm.Model() as model:
        mu = pm.Normal("mu", 0.0, 1.5)
        sd = pm.HalfNormal("sd", 1.0)
        z = pm.Normal("z", 0.0, 1.0, shape=groups)
        b = pm.Normal("b", 0.0, 1.0)
        a = pm.Deterministic("a", mu + sd * z)
        pm.Bernoulli("y", logit_p=a[g] + b * x, observed=y.astype("int64"))
    return model


def ordered_logistic(n: int = 60, k: int = 4):
    """Ordinal regression: ``OrderedLogistic`` with ordered cutpoints."""
    import pymc as pm

    rng = np.random.default_rng(13)
    x = rng.normal(size=n)
    y = np.clip(np.round(1.5 + x + rng.logistic(size=n) * 0.5), 0, k - 1).astype("int64")
    with pm.Model() as model:
        beta = pm.Normal("beta", 0.0, 2.0)
        cut = pm.Normal("cut", 0.0, 3.0, shape=k - 1,
                        transform=pm.distributions.transforms.ordered,
                        initval=np.linspace(-1, 1, k - 1))
        pm.OrderedLogistic("y", eta=beta * x, cutpoints=cut, observed=y)
    return model


def dirichlet_categorical(n: int = 50, k: int = 4):
    """Categorical counts with a Dirichlet prior (simplex transform), int observations."""
    import pymc as pm

    rng = np.random.default_rng(14)
    y = rng.choice(k, size=n, p=[0.1, 0.2, 0.3, 0.4][:k] / np.sum([0.1, 0.2, 0.3, 0.4][:k]))
    with pm.Model() as model:
        p = pm.Dirichlet("p", a=np.ones(k) * 1.5)
        pm.Categorical("y", p=p, observed=y)
    return model


def censored_normal(n: int = 50):
    """Normal measurements censored at both ends (``pm.Censored``)."""
    import pymc as pm

    rng = np.random.default_rng(15)
    y = np.clip(rng.normal(1.0, 2.0, size=n), -1.0, 3.0)
    with pm.Model() as model:
        mu = pm.Normal("mu", 0.0, 5.0)
        sigma = pm.HalfNormal("sigma", 3.0)
        pm.Censored("y", pm.Normal.dist(mu, sigma), lower=-1.0, upper=3.0, observed=y)
    return model


def zip_counts(n: int = 60):
    """Zero-inflated Poisson regression with a Beta zero-probability."""
    import pymc as pm

    rng = np.random.default_rng(16)
    x = rng.normal(size=n)
    y = np.where(rng.random(n) < 0.3, 0, rng.poisson(np.exp(0.7 + 0.4 * x)))
    with pm.Model() as model:
        psi = pm.Beta("psi", 2.0, 2.0)
        a = pm.Normal("a", 0.0, 1.0)
        b = pm.Normal("b", 0.0, 1.0)
        pm.ZeroInflatedPoisson("y", psi=psi, mu=pm.math.exp(a + b * x), observed=y)
    return model


def studentt_data(n: int = 40):
    """Robust regression with ``pm.Data`` containers, HalfCauchy scale, estimated nu."""
    import pymc as pm

    rng = np.random.default_rng(17)
    x = rng.normal(size=n)
    y = 1.0 + 2.0 * x + rng.standard_t(3, size=n)
    with pm.Model() as model:
        xd = pm.Data("x", x)
        yd = pm.Data("y_obs", y)
        a = pm.Normal("a", 0.0, 10.0)
        b = pm.Normal("b", 0.0, 10.0)
        s = pm.HalfCauchy("s", 2.0)
        nu = pm.Gamma("nu", 2.0, 0.1)
        mu = pm.Deterministic("mu", a + b * xd)
        pm.StudentT("y", nu=nu, mu=mu, sigma=s, observed=yd)
    return model


def mvnormal_lkj(n: int = 30, d: int = 3):
    """Correlated means: ``LKJCholeskyCov`` prior and an ``MvNormal`` likelihood."""
    import pymc as pm

    rng = np.random.default_rng(18)
    y = rng.multivariate_normal(np.zeros(d), np.eye(d) + 0.5, size=n)
    with pm.Model() as model:
        chol, _, _ = pm.LKJCholeskyCov("chol", n=d, eta=2.0,
                                       sd_dist=pm.Exponential.dist(1.0, shape=d))
        mu = pm.Normal("mu", 0.0, 2.0, shape=d)
        pm.MvNormal("y", mu=mu, chol=chol, observed=y)
    return model


MODELS2: dict[str, Callable] = {
    "stoch_vol": stoch_vol, "hier_logistic_nc": hier_logistic_nc,
    "ordered_logistic": ordered_logistic, "dirichlet_categorical": dirichlet_categorical,
    "censored_normal": censored_normal, "zip_counts": zip_counts,
    "studentt_data": studentt_data, "mvnormal_lkj": mvnormal_lkj,
}


# -- fourth session (clients): fixed-covariance linear algebra, sum-to-zero, mixtures --------
def mvnormal_fixed(n: int = 30, d: int = 3):
    """Correlated observations with a known covariance: ``MvNormal(mu, cov=fixed)``."""
    import pymc as pm

    rng = np.random.default_rng(31)
    cov = np.eye(d) + 0.4
    y = rng.multivariate_normal(np.ones(d), cov, size=n)
    with pm.Model() as model:
        mu = pm.Normal("mu", 0.0, 2.0, shape=d)
        pm.MvNormal("y", mu=mu, cov=cov, observed=y)
    return model


def gp_fixed_kernel(n: int = 25):
    """A latent Gaussian process with a fixed squared-exponential kernel (an ``MvNormal``
    prior on ``f``) and Normal noise of unknown scale."""
    import pymc as pm

    rng = np.random.default_rng(32)
    x = np.linspace(0.0, 5.0, n)
    kernel = np.exp(-0.5 * (x[:, None] - x[None, :]) ** 2) + 1e-6 * np.eye(n)
    with pm.Model() as model:
        f = pm.MvNormal("f", mu=np.zeros(n), cov=kernel)
        s = pm.HalfNormal("s", 1.0)
        pm.Normal("y", f, s, observed=np.sin(x) + rng.normal(0.0, 0.3, n))
    return model


def zerosum_hier(n: int = 60, groups: int = 5):
    """Group effects with a ``ZeroSumNormal`` prior, gathered by group index."""
    import pymc as pm

    rng = np.random.default_rng(33)
    idx = rng.integers(0, groups, n)
    y = rng.normal(size=n) + 0.3 * idx
    with pm.Model() as model:
        a = pm.ZeroSumNormal("a", sigma=1.0, shape=groups)
        mu = pm.Normal("mu", 0.0, 2.0)
        s = pm.HalfNormal("s", 1.0)
        pm.Normal("y", mu + a[idx], s, observed=y)
    return model


def normal_mixture_ordered(n: int = 40):
    """Three-component ``NormalMixture``: Dirichlet weights, ordered means."""
    import pymc as pm

    rng = np.random.default_rng(37)
    y = np.concatenate([rng.normal(-2, 1, n // 2), rng.normal(2, 1, n - n // 2)])
    with pm.Model() as model:
        w = pm.Dirichlet("w", np.ones(3))
        mu = pm.Normal("mu", 0.0, 3.0, shape=3, transform=pm.distributions.transforms.ordered,
                       initval=[-1.0, 0.0, 1.0])
        pm.NormalMixture("y", w=w, mu=mu, sigma=1.0, observed=y)
    return model


MODELS2 |= {"mvnormal_fixed": mvnormal_fixed, "gp_fixed_kernel": gp_fixed_kernel,
            "zerosum_hier": zerosum_hier, "normal_mixture_ordered": normal_mixture_ordered}


# -- held back while the importer was extended (run last: a check of generality) ----------
def truncated_regression(n: int = 50):
    """Linear regression with a truncated-normal likelihood (``pm.Truncated``)."""
    import pymc as pm

    rng = np.random.default_rng(21)
    x = rng.normal(size=n)
    y = 0.5 + 1.2 * x + rng.normal(0, 1.0, n)
    y = np.clip(y, -2.0, None) + 0.01
    with pm.Model() as model:
        a = pm.Normal("a", 0.0, 3.0)
        b = pm.Normal("b", 0.0, 3.0)
        s = pm.HalfNormal("s", 2.0)
        pm.Truncated("y", pm.Normal.dist(a + b * x, s), lower=-2.0, observed=y)
    return model


def weibull_gamma_survival(n: int = 40):
    """Survival times: a Weibull likelihood with a log-linear scale and a Gamma-distributed
    second outcome sharing the covariate."""
    import pymc as pm

    rng = np.random.default_rng(22)
    x = rng.normal(size=n)
    t = rng.weibull(1.5, size=n) * np.exp(0.3 * x)
    w = rng.gamma(2.0, np.exp(0.2 * x))
    with pm.Model() as model:
        k = pm.Gamma("k", 2.0, 1.0)
        b = pm.Normal("b", 0.0, 1.0)
        shape = pm.Exponential("shape", 0.5)
        c = pm.Normal("c", 0.0, 1.0)
        pm.Weibull("t", alpha=k, beta=pm.math.exp(b * x), observed=t)
        pm.Gamma("w", alpha=shape, beta=shape / pm.math.exp(c * x), observed=w)
    return model


def ar2_binomial(n: int = 40):
    """An AR(2) latent process (``pm.AR``) and binomial counts on its logit."""
    import pymc as pm

    rng = np.random.default_rng(23)
    trials = rng.integers(5, 15, size=n)
    counts = rng.binomial(trials, 0.4)
    with pm.Model() as model:
        rho = pm.Normal("rho", 0.0, 0.5, shape=2)
        sigma = pm.HalfNormal("sigma", 0.5)
        z = pm.AR("z", rho=rho, sigma=sigma, init_dist=pm.Normal.dist(0.0, 1.0),
                  ar_order=2, shape=n)
        pm.Binomial("y", n=trials, logit_p=z, observed=counts)
    return model


def beta_binomial(n: int = 30):
    """Overdispersed counts: ``BetaBinomial`` with HalfNormal shape parameters."""
    import pymc as pm

    rng = np.random.default_rng(34)
    trials = rng.integers(5, 20, n)
    k = rng.binomial(trials, rng.beta(2.0, 5.0, n))
    with pm.Model() as model:
        a = pm.HalfNormal("a", 5.0)
        b = pm.HalfNormal("b", 5.0)
        pm.BetaBinomial("y", alpha=a, beta=b, n=trials, observed=k)
    return model


def negbin_glm(n: int = 40):
    """Negative-binomial regression with a log link and an Exponential dispersion."""
    import pymc as pm

    rng = np.random.default_rng(36)
    x = rng.normal(size=n)
    y = rng.negative_binomial(3, 0.4, n)
    with pm.Model() as model:
        a = pm.Normal("a", 0.0, 1.0)
        b = pm.Normal("b", 0.0, 1.0)
        alpha = pm.Exponential("alpha", 1.0)
        pm.NegativeBinomial("y", mu=pm.math.exp(a + b * x), alpha=alpha, observed=y)
    return model


HELD: dict[str, Callable] = {
    "truncated_regression": truncated_regression,
    "weibull_gamma_survival": weibull_gamma_survival, "ar2_binomial": ar2_binomial,
    "beta_binomial": beta_binomial, "negbin_glm": negbin_glm,  # (fourth session)
}


def hurdle_poisson(n: int = 40):
    """Counts with excess zeros: ``HurdlePoisson`` (a truncated Poisson above zero)."""
    import pymc as pm

    rng = np.random.default_rng(38)
    y = np.where(rng.random(n) < 0.35, 0, rng.poisson(4.0, n))
    with pm.Model() as model:
        psi = pm.Beta("psi", 2.0, 2.0)
        mu = pm.Exponential("mu", 0.3)
        pm.HurdlePoisson("y", psi=psi, mu=mu, observed=y)
    return model


def truncated_poisson_glm(n: int = 40):
    """Zero-truncated Poisson regression (``pm.Truncated`` of a Poisson, lower=1)."""
    import pymc as pm

    rng = np.random.default_rng(39)
    x = rng.normal(size=n)
    y = rng.poisson(np.exp(1.0 + 0.5 * x)) + 1
    with pm.Model() as model:
        a = pm.Normal("a", 0.0, 1.0)
        b = pm.Normal("b", 0.0, 1.0)
        pm.Truncated("y", pm.Poisson.dist(pm.math.exp(a + b * x)), lower=1, observed=y)
    return model


MODELS2 |= {"hurdle_poisson": hurdle_poisson, "truncated_poisson_glm": truncated_poisson_glm}
