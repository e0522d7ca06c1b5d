#pragma once

#include <chrono>
#include <cmath>

namespace dealii_learned
{
  /**
   * A direction network used as a preconditioner: z = |r| N(r / |r|).
   *
   * Networks are trained on unit-norm inputs, so the input is normalised
   * and the output scaled back, which makes the preconditioner positively
   * homogeneous whatever the network. It is still nonlinear, so it belongs
   * in a flexible Krylov method (deal.II's SolverFlexibleCG or
   * SolverFGMRES), not in plain CG. An output that is not finite is
   * replaced by r itself (the identity) for that application, and counted.
   *
   * `Network` needs `vmult(VectorType &, const VectorType &)` for the
   * vector types used.
   */
  template <typename Network>
  class NeuralPreconditioner
  {
  public:
    explicit NeuralPreconditioner(const Network &network)
      : network(network)
    {}

    template <typename VectorType>
    void
    vmult(VectorType &z, const VectorType &r) const
    {
      const double norm = r.l2_norm();
      if (norm == 0.)
        {
          z = 0.;
          return;
        }
      VectorType unit(r);
      unit /= norm;
      const auto started = std::chrono::steady_clock::now();
      network.vmult(z, unit);
      time += std::chrono::duration<double>(std::chrono::steady_clock::now() -
                                            started)
                .count();
      const double z_norm = z.l2_norm();
      if (!std::isfinite(z_norm) || z_norm == 0.)
        {
          z = r;
          ++fallbacks;
          return;
        }
      z *= norm;
    }

    /** Applications whose network output was replaced by the identity. */
    unsigned int
    n_fallbacks() const
    {
      return fallbacks;
    }

    /** Wall time spent in the network's vmult so far. */
    double
    network_seconds() const
    {
      return time;
    }

  private:
    const Network       &network;
    mutable unsigned int fallbacks = 0;
    mutable double       time      = 0.;
  };
} // namespace dealii_learned
