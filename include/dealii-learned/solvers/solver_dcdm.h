#pragma once

#include <deal.II/base/exceptions.h>

#include <deal.II/lac/solver.h>
#include <deal.II/lac/solver_control.h>

#include <dealii-learned/solvers/stagnation.h>

#include <chrono>
#include <cmath>
#include <deque>
#include <memory>

namespace dealii_learned
{
  /**
   * The deep conjugate direction method (DCDM): conjugate directions whose
   * search directions come from a network N that approximates A^{-1} up to
   * a constant.
   *
   * Each iteration takes q = N(r / |r|), makes it A-orthogonal to the last
   * m directions (Gram-Schmidt in the A inner product, using the stored
   * products A p_j, so one matrix-vector product per iteration), and
   * minimises the A-norm of the error along q with the exact step
   * alpha = (q.r) / (q.Aq). With m = 0 this is steepest descent in the
   * directions the network proposes; with N = A^{-1} it converges in one
   * step; the authors keep m = 2. Unlike CG, N may be nonlinear: the
   * directions are never assumed to come from a fixed preconditioner, which
   * is why the explicit orthogonalisation is needed.
   *
   * Safeguards, because a network can fail where a preconditioner cannot:
   * - a direction that is not finite, zero, or has no A-curvature left
   *   after orthogonalisation (q.Aq <= eps |q| |Aq|) is replaced by the
   *   residual itself for that step (a steepest-descent step, which always
   *   reduces the A-norm of the error); such steps are counted in
   *   n_fallback_steps();
   * - when the recurrence says converged, the true residual b - A x is
   *   recomputed; if it is above the tolerance (rounding drift, or a
   *   tolerance below the attainable accuracy), the iteration restarts
   *   from it, within the same step limit; when the restarts no longer
   *   lower it (StagnationMonitor), it throws SolverStagnated;
   * - not reaching the tolerance within control.max_steps() steps throws
   *   SolverControl::NoConvergence, with the last (true, where checked)
   *   residual.
   *
   * `DirectionType` needs `vmult(VectorType &q, const VectorType &r)`; the
   * matrix needs `vmult`. Works for any deal.II vector type, serial or
   * distributed.
   */
  template <typename VectorType>
  class SolverDCDM : public dealii::SolverBase<VectorType>
  {
  public:
    struct AdditionalData
    {
      AdditionalData(const unsigned int n_kept_directions = 2)
        : n_kept_directions(n_kept_directions)
      {}

      /** Number m of previous directions each new one is A-orthogonal to. */
      unsigned int n_kept_directions;
    };

    SolverDCDM(dealii::SolverControl &control,
               const AdditionalData  &data = AdditionalData());

    template <typename MatrixType, typename DirectionType>
    void
    solve(const MatrixType    &A,
          VectorType          &x,
          const VectorType    &b,
          const DirectionType &network);

    /** Steps in which the network's direction was replaced by r. */
    unsigned int
    n_fallback_steps() const;

    /** Restarts from the true residual (its recurrence had drifted below
     *  the tolerance while b - A x had not). */
    unsigned int
    n_restarts() const;

    /** Wall time spent in the network (its vmult) during the last solve;
     *  the rest of the solve is matrix products and vector updates. */
    double
    network_seconds() const;

  private:
    dealii::SolverControl &control;
    AdditionalData         data;
    unsigned int           fallbacks    = 0;
    unsigned int           restarts     = 0;
    double                 network_time = 0.;
  };


  // ----------------------------------------------------------------------

  template <typename VectorType>
  SolverDCDM<VectorType>::SolverDCDM(dealii::SolverControl &control,
                                     const AdditionalData  &data)
    : dealii::SolverBase<VectorType>(control)
    , control(control)
    , data(data)
  {}


  template <typename VectorType>
  unsigned int
  SolverDCDM<VectorType>::n_fallback_steps() const
  {
    return fallbacks;
  }


  template <typename VectorType>
  unsigned int
  SolverDCDM<VectorType>::n_restarts() const
  {
    return restarts;
  }


  template <typename VectorType>
  double
  SolverDCDM<VectorType>::network_seconds() const
  {
    return network_time;
  }


  template <typename VectorType>
  template <typename MatrixType, typename DirectionType>
  void
  SolverDCDM<VectorType>::solve(const MatrixType    &A,
                                VectorType          &x,
                                const VectorType    &b,
                                const DirectionType &network)
  {
    using namespace dealii;
    fallbacks    = 0;
    restarts     = 0;
    network_time = 0.;

    VectorType r, normalized, q, Aq;
    r.reinit(b, true);
    normalized.reinit(b, true);
    q.reinit(b, true);
    Aq.reinit(b, true);

    // Kept directions p_j with A p_j and p_j.A p_j.
    struct Direction
    {
      VectorType p, Ap;
      double     pAp;
    };
    std::deque<Direction> kept;

    const auto true_residual = [&]() {
      A.vmult(r, x);
      r.sadd(-1., 1., b);
      return r.l2_norm();
    };

    double            residual = true_residual();
    unsigned int      step     = 0;
    StagnationMonitor stagnation(residual);
    // SolverControl::check() reports success before it looks at the step
    // count, so a restart on a denied success must count steps itself.
    SolverControl::State state = this->iteration_status(step, residual, x);
    while (state != SolverControl::failure)
      {
        if (state == SolverControl::success)
          {
            // The recurrence may drift from the true residual in rounding;
            // accept only what b - A x confirms.
            const double checked = true_residual();
            residual             = checked;
            if (checked <= control.tolerance())
              break;
            if (step >= control.max_steps())
              {
                state = SolverControl::failure;
                break;
              }
            const bool stagnated = stagnation.check(checked);
            AssertThrow(!stagnated, SolverStagnated(step, checked));
            kept.clear();
            ++restarts;
          }
        ++step;

        normalized.equ(1. / residual, r);
        const auto started = std::chrono::steady_clock::now();
        network.vmult(q, normalized);
        network_time += std::chrono::duration<double>(
                          std::chrono::steady_clock::now() - started)
                          .count();

        // A network output that is not finite, or zero, fails the
        // curvature test below (qAq is NaN or 0) and is replaced by the
        // residual there.
        bool use_residual = false;
        for (unsigned int attempt = 0; attempt < 2; ++attempt)
          {
            if (use_residual)
              {
                q = r;
                ++fallbacks;
              }
            A.vmult(Aq, q);
            if (kept.size() == 2)
              {
                // The kept directions are A-orthogonal to each other (each
                // was made so against the one before), so both
                // coefficients can be taken from q at once (classical
                // Gram-Schmidt), and each vector is updated in one pass.
                const double beta0 = (q * kept[0].Ap) / kept[0].pAp;
                const double beta1 = (q * kept[1].Ap) / kept[1].pAp;
                q.add(-beta0, kept[0].p, -beta1, kept[1].p);
                Aq.add(-beta0, kept[0].Ap, -beta1, kept[1].Ap);
              }
            else
              for (const auto &d : kept)
                {
                  const double beta = (q * d.Ap) / d.pAp;
                  q.add(-beta, d.p);
                  Aq.add(-beta, d.Ap);
                }
            const double qAq = q * Aq;
            if (std::isfinite(qAq) && qAq > 1e-14 * q.l2_norm() * Aq.l2_norm())
              break;
            // No curvature left: the network's direction lies in the span of
            // the kept ones (or is garbage). Take the residual instead.
            AssertThrow(!use_residual,
                        ExcMessage("DCDM: even the residual direction has "
                                   "no positive curvature; the matrix is "
                                   "not symmetric positive definite."));
            use_residual = true;
          }

        const double qAq   = q * Aq;
        const double alpha = (q * r) / qAq;
        x.add(alpha, q);
        r.add(-alpha, Aq);
        residual = r.l2_norm();

        if (data.n_kept_directions > 0)
          {
            if (kept.size() == data.n_kept_directions)
              {
                // Reuse the oldest storage.
                Direction oldest = std::move(kept.front());
                kept.pop_front();
                oldest.p.swap(q);
                oldest.Ap.swap(Aq);
                oldest.pAp = qAq;
                kept.push_back(std::move(oldest));
              }
            else
              {
                kept.push_back({q, Aq, qAq});
              }
          }

        state = this->iteration_status(step, residual, x);
      }

    if (state == SolverControl::failure)
      AssertThrow(false, SolverControl::NoConvergence(step, residual));
  }
} // namespace dealii_learned
