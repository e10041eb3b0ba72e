//! The 2PL model and the EAP grid. Every transcendental goes through `libm` (pure Rust, the same
//! bits on every platform) and every sum runs in a fixed order, so an estimate replays bit for bit.

/// Grid points.
pub const N: usize = 80;
/// Lowest grid capacity.
pub const MIN: f64 = -9.0;
/// Highest grid capacity.
pub const MAX: f64 = 9.0;

/// Capacity at grid point `g` (0 ≤ g < N).
#[inline]
pub fn theta(g: usize) -> f64 {
    MIN + (MAX - MIN) * (g as f64) / ((N - 1) as f64)
}

/// P(correct | θ) = 1 / (1 + exp(a (b − θ))), no 1.7 factor.
#[inline]
pub fn p_correct(a: f64, b: f64, theta: f64) -> f64 {
    1.0 / (1.0 + libm::exp(a * (b - theta)))
}

/// Fisher information of a 2PL item at θ: a² p (1 − p).
#[inline]
pub fn information(a: f64, b: f64, theta: f64) -> f64 {
    let p = p_correct(a, b, theta);
    a * a * p * (1.0 - p)
}

/// At least [`information`]`(a, b, θ)` as computed, for every θ, without an exponential: a²/4 is
/// the most p (1 − p) a² reaches (at θ = b), and the margin covers the roundings of the
/// computed value (a few parts in 10¹⁶). NaN for a NaN `a`, so a comparison with it is false.
#[inline]
pub fn information_bound(a: f64) -> f64 {
    a * a * 0.25 * (1.0 + 1e-9)
}

/// log P(correct) and log P(wrong) on the grid, computed without overflow for any a, b.
pub fn log_probabilities(a: f64, b: f64) -> ([f64; N], [f64; N]) {
    let mut lp = [0.0; N];
    let mut lq = [0.0; N];
    for (g, (p, q)) in lp.iter_mut().zip(lq.iter_mut()).enumerate() {
        let z = a * (b - theta(g));
        // log(1 + e^z) evaluated on the side where the exponential cannot overflow.
        let softplus = if z > 0.0 {
            z + libm::log1p(libm::exp(-z))
        } else {
            libm::log1p(libm::exp(z))
        };
        *p = -softplus;
        *q = z - softplus;
    }
    (lp, lq)
}

/// Posterior mean and standard deviation given the log-likelihood on the grid and a Gaussian
/// prior N(mean, variance).
pub fn eap(loglik: &[f64; N], prior_mean: f64, prior_variance: f64) -> (f64, f64) {
    let mut lpost = [0.0; N];
    let mut max = f64::NEG_INFINITY;
    for (g, (lp, ll)) in lpost.iter_mut().zip(loglik.iter()).enumerate() {
        let d = theta(g) - prior_mean;
        *lp = ll - d * d / (2.0 * prior_variance);
        if *lp > max {
            max = *lp;
        }
    }
    let (mut sw, mut swt) = (0.0, 0.0);
    for (g, lp) in lpost.iter_mut().enumerate() {
        // Weights relative to the maximum so that no exponential underflows to an all-zero posterior.
        *lp = libm::exp(*lp - max);
        sw += *lp;
        swt += *lp * theta(g);
    }
    let mean = swt / sw;
    let mut swd = 0.0;
    for (g, w) in lpost.iter().enumerate() {
        let d = theta(g) - mean;
        swd += w * d * d;
    }
    (mean, libm::sqrt(swd / sw))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grid_spans_minus_9_to_9_in_80_points() {
        assert_eq!(theta(0), -9.0);
        assert_eq!(theta(N - 1), 9.0);
    }

    #[test]
    fn information_never_exceeds_its_bound() {
        for a in [0.2, 0.7, 1.0, 1.5, 2.3, 4.0, 17.0] {
            let bound = information_bound(a);
            for i in 0..=4000 {
                let b = -9.0 + 18.0 * f64::from(i) / 4000.0;
                for theta in [-9.0, -0.3, 0.0, 0.1, 1.7, 9.0, b, b + 1e-12, b - 1e-9] {
                    assert!(information(a, b, theta) <= bound, "a={a} b={b} θ={theta}");
                }
            }
            // Not a loose bound: at θ = b the information is a²/4.
            assert!(information(a, 1.0, 1.0) > bound * (1.0 - 1e-8));
        }
        assert!(information_bound(f64::NAN).is_nan());
    }

    #[test]
    fn probability_is_half_at_difficulty_and_logs_agree() {
        assert!((p_correct(1.7, 0.4, 0.4) - 0.5).abs() < 1e-15);
        let (lp, lq) = log_probabilities(2.0, 1.0);
        for g in 0..N {
            let p = p_correct(2.0, 1.0, theta(g));
            assert!((libm::exp(lp[g]) - p).abs() < 1e-12);
            assert!((libm::exp(lq[g]) - (1.0 - p)).abs() < 1e-12);
        }
        let (lp, lq) = log_probabilities(4.0, -6.0);
        assert!(lp.iter().chain(lq.iter()).all(|x| x.is_finite()));
    }

    #[test]
    fn eap_with_no_data_is_the_prior() {
        let (m, s) = eap(&[0.0; N], 0.0, 1.5);
        assert!(m.abs() < 1e-12);
        assert!((s - 1.5f64.sqrt()).abs() < 0.01, "{s}");
        let (m, _) = eap(&[0.0; N], 1.0, 1.0);
        assert!((m - 1.0).abs() < 1e-9);
    }

    #[test]
    fn a_right_answer_raises_the_estimate() {
        let (lp, lq) = log_probabilities(1.5, 0.0);
        assert!(eap(&lp, 0.0, 1.5).0 > 0.3);
        assert!(eap(&lq, 0.0, 1.5).0 < -0.3);
    }
}
