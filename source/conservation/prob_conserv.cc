#include <deal.II/base/exceptions.h>
#include <deal.II/base/mpi.h>

#include <deal.II/lac/lapack_full_matrix.h>

#include <dealii-learned/base/utilities.h>
#include <dealii-learned/conservation/prob_conserv.h>

#include <cmath>
#include <vector>

namespace dealii_learned
{
  using namespace dealii;

  namespace
  {
    /** Sigma restricted to the entries where @p mask is 1. */
    GaussianField
    restricted(const GaussianField                 &field,
               const TrilinosWrappers::MPI::Vector &mask)
    {
      GaussianField result = field;
      result.diagonal_part.scale(mask);
      for (auto &f : result.factors)
        f.scale(mask);
      return result;
    }


    /**
     * S^-1 of the symmetric m x m matrix S, through its eigenvalues, or an
     * error if S is singular (or not positive).
     */
    FullMatrix<double>
    inverse_of_gram(const FullMatrix<double>      &S,
                    const std::string             &what,
                    const ConservationConstraints &constraints,
                    const double                   noise)
    {
      const unsigned int       m = S.m();
      LAPACKFullMatrix<double> lapack(m, m);
      lapack = S;
      Vector<double>     eigenvalues(m);
      FullMatrix<double> eigenvectors(m, m);
      lapack.compute_eigenvalues_symmetric(
        -1e300, 1e300, 0., eigenvalues, eigenvectors);
      const double largest  = eigenvalues.linfty_norm();
      double       smallest = largest;
      unsigned int weakest  = 0;
      for (unsigned int k = 0; k < m; ++k)
        if (eigenvalues[k] < smallest)
          {
            smallest = eigenvalues[k];
            weakest  = k;
          }
      if (!(largest > 0. && smallest > 1e-12 * largest))
        {
          // The rows that make up the (nearly) dependent combination.
          std::vector<std::string> involved;
          for (unsigned int i = 0; i < m; ++i)
            if (largest == 0. || std::abs(eigenvectors(i, weakest)) > 0.1)
              involved.push_back("'" + constraints.name(i) + "'");
          AssertThrow(false,
                      ExcMessage(
                        "ProbConserv: the constraint system S = sigma_G^2 I "
                        "+ G Sigma G^T of " +
                        what + " is singular (eigenvalues from " +
                        format_number(smallest) + " to " +
                        format_number(largest) +
                        ", sigma_G = " + format_number(noise) +
                        "; rows involved: " + join(involved, ", ") +
                        "): the constraints must be independent (two "
                        "identical rows are not), and the prediction must "
                        "have variance where they act. Remove the dependent "
                        "constraint or give the constraints a noise that is "
                        "not small against G Sigma G^T."));
        }
      FullMatrix<double> inverse(m, m);
      for (unsigned int i = 0; i < m; ++i)
        for (unsigned int j = 0; j < m; ++j)
          for (unsigned int k = 0; k < m; ++k)
            inverse(i, j) +=
              eigenvectors(i, k) * eigenvectors(j, k) / eigenvalues[k];
      return inverse;
    }


    /** What update() gives. */
    struct Update
    {
      TrilinosWrappers::MPI::Vector              mean;
      std::vector<TrilinosWrappers::MPI::Vector> W; // Sigma G^T, by column
      FullMatrix<double>                         S_inverse;
      /** ConservationConstraints::residuals() of the mean given and of
       *  the new mean. */
      std::vector<double> initial_residuals, residuals;
    };


    /**
     * One Bayesian update of @p mean with the covariance of @p prior
     * restricted to the entries where @p mask is 1 (Sigma = diag(mask) for
     * @p identity, HardC), without copying the prior: W = Sigma G^T,
     * S = G Sigma G^T + noise^2 I, mean - W S^-1 (G mean - b).
     *
     * Everything runs over the locally owned entries directly. The pass
     * that forms G mean, G D G^T and G L visits the rows' entries once and
     * skips the rows that are zero at an entry (a subdomain's row is zero
     * outside it), so its cost is O(n (m_i^2 + m_i r)) for m_i rows active
     * at an entry, with one reduction over ranks; the pass that forms W and
     * the new mean is O(n m (r + 1)).
     *
     * With noise 0 the constraints hold to round-off relative to the terms
     * of the sums; when that is above 1e-14 relative to the targets (small
     * targets, many rows) one step of iterative refinement with the same W
     * and S^-1 corrects it.
     */
    Update
    update(const TrilinosWrappers::MPI::Vector &mean,
           const GaussianField                 &prior,
           const TrilinosWrappers::MPI::Vector &mask,
           const bool                           identity,
           const ConservationConstraints       &constraints,
           const double                         noise,
           const std::string                   &what)
    {
      const unsigned int m = constraints.n_rows();
      const unsigned int r = identity ? 0 : prior.rank();
      const std::size_t  n = mean.locally_owned_size();

      std::vector<const double *> g(m), L(r);
      for (unsigned int k = 0; k < m; ++k)
        g[k] = constraints.row(k).begin();
      for (unsigned int j = 0; j < r; ++j)
        L[j] = prior.factors[j].begin();
      const double *d  = identity ? nullptr : prior.diagonal_part.begin();
      const double *f  = mask.begin();
      const double *mu = mean.begin();

      // G mu (m), G D G^T (m x m, upper triangle), G L (m x r), summed over
      // ranks together.
      std::vector<double> local(m + m * m + m * r, 0.), global(local.size());
      {
        double                   *Gmu = local.data();
        double                   *A   = Gmu + m;
        double                   *B   = A + m * m;
        std::vector<unsigned int> active;
        active.reserve(m);
        std::vector<double> gi(m);
        for (std::size_t i = 0; i < n; ++i)
          {
            active.clear();
            for (unsigned int k = 0; k < m; ++k)
              if (g[k][i] != 0.)
                {
                  gi[k] = g[k][i];
                  Gmu[k] += gi[k] * mu[i];
                  active.push_back(k);
                }
            if (active.empty() || f[i] == 0.)
              continue;
            const double di = identity ? f[i] : d[i] * f[i];
            for (unsigned int a = 0; a < active.size(); ++a)
              {
                const unsigned int k  = active[a];
                const double       gd = gi[k] * di;
                for (unsigned int b = a; b < active.size(); ++b)
                  A[k * m + active[b]] += gd * gi[active[b]];
                for (unsigned int j = 0; j < r; ++j)
                  B[k * r + j] += gi[k] * L[j][i] * f[i];
              }
          }
      }
      Utilities::MPI::sum(local, mean.get_mpi_communicator(), global);
      const double *Gmu = global.data();
      const double *A   = Gmu + m;
      const double *B   = A + m * m;

      // S = G D G^T + (G L) K (G L)^T + noise^2 I.
      FullMatrix<double> S(m, m);
      for (unsigned int k = 0; k < m; ++k)
        for (unsigned int l = k; l < m; ++l)
          {
            double value = A[k * m + l];
            for (unsigned int a = 0; a < r; ++a)
              for (unsigned int b = 0; b < r; ++b)
                value += B[k * r + a] * prior.core(a, b) * B[l * r + b];
            S(k, l) = S(l, k) = value;
          }
      for (unsigned int k = 0; k < m; ++k)
        S(k, k) += noise * noise;

      Update result;
      result.S_inverse = inverse_of_gram(S, what, constraints, noise);

      // W = Sigma G^T = D G^T + L (K (G L)^T), column by column.
      FullMatrix<double> C(r, m); // K (G L)^T
      for (unsigned int a = 0; a < r; ++a)
        for (unsigned int k = 0; k < m; ++k)
          for (unsigned int b = 0; b < r; ++b)
            C(a, k) += prior.core(a, b) * B[k * r + b];
      // The correction x = S^-1 (G mu - b) is known before W, so W and
      // the new mean are formed in the same pass:
      // mean_i -= sum_k W_ik x_k = d_i (G^T x)_i + L_i . (C x).
      result.mean = mean;
      std::vector<double> residual(m);
      for (unsigned int k = 0; k < m; ++k)
        residual[k] = Gmu[k] - constraints.free_target(k);
      result.initial_residuals = residual;
      const auto solve         = [&](const std::vector<double> &res) {
        Vector<double> x(m), rhs(m);
        for (unsigned int k = 0; k < m; ++k)
          rhs[k] = res[k];
        result.S_inverse.vmult(x, rhs);
        return x;
      };
      const Vector<double> x = solve(residual);
      std::vector<double>  Cx(r, 0.);
      for (unsigned int a = 0; a < r; ++a)
        for (unsigned int k = 0; k < m; ++k)
          Cx[a] += C(a, k) * x[k];
      result.W.resize(m);
      std::vector<double *> W(m);
      for (unsigned int k = 0; k < m; ++k)
        {
          result.W[k].reinit(mean, /*omit_zeroing_entries=*/true);
          W[k] = result.W[k].begin();
        }
      double *u = result.mean.begin();
      for (std::size_t i = 0; i < n; ++i)
        {
          if (f[i] == 0.)
            {
              for (unsigned int k = 0; k < m; ++k)
                W[k][i] = 0.;
              continue;
            }
          const double di    = identity ? f[i] : d[i] * f[i];
          double       shift = 0.;
          for (unsigned int a = 0; a < r; ++a)
            shift += L[a][i] * f[i] * Cx[a];
          for (unsigned int k = 0; k < m; ++k)
            {
              double value = di * g[k][i];
              shift += value * x[k];
              for (unsigned int a = 0; a < r; ++a)
                value += L[a][i] * f[i] * C(a, k);
              W[k][i] = value;
            }
          u[i] -= shift;
        }

      // With noise 0 one step of refinement if round-off left the targets
      // visibly unmet.
      result.residuals = constraints.residuals(result.mean);
      if (noise == 0.)
        {
          bool refine = false;
          for (unsigned int k = 0; k < m; ++k)
            refine =
              refine || std::abs(result.residuals[k]) >
                          1e-14 * std::max(std::abs(constraints.target(k)),
                                           std::abs(residual[k]));
          if (refine)
            {
              const Vector<double> y = solve(result.residuals);
              for (std::size_t i = 0; i < n; ++i)
                {
                  double shift = 0.;
                  for (unsigned int k = 0; k < m; ++k)
                    shift += W[k][i] * y[k];
                  u[i] -= shift;
                }
              result.residuals = constraints.residuals(result.mean);
            }
        }
      return result;
    }


    /** The posterior of an update: Sigma restricted to @p mask, minus
     *  W S^-1 W^T (W joins the factors, -S^-1 the core). */
    GaussianField
    posterior_of(const GaussianField                 &prior,
                 const TrilinosWrappers::MPI::Vector &mask,
                 Update                             &&u)
    {
      GaussianField posterior = restricted(prior, mask);
      posterior.mean          = std::move(u.mean);
      const unsigned int r = prior.rank(), m = u.W.size();
      FullMatrix<double> core(r + m, r + m);
      for (unsigned int i = 0; i < r; ++i)
        for (unsigned int j = 0; j < r; ++j)
          core(i, j) = prior.core(i, j);
      for (unsigned int i = 0; i < m; ++i)
        for (unsigned int j = 0; j < m; ++j)
          core(r + i, r + j) = -u.S_inverse(i, j);
      for (auto &w : u.W)
        posterior.factors.push_back(std::move(w));
      posterior.core = core;
      return posterior;
    }
  } // namespace


  ProbConservResult
  probconserv_update(const GaussianField                 &prior,
                     const ConservationConstraints       &constraints,
                     const TrilinosWrappers::MPI::Vector &is_free,
                     const ProbConservSettings           &settings,
                     const std::string                   &what)
  {
    prior.check(what);
    AssertThrow(constraints.n_rows() > 0,
                ExcMessage("ProbConserv: no conservation constraint to "
                           "enforce."));
    AssertThrow(constraints.row(0).size() == prior.size() &&
                  is_free.size() == prior.size(),
                ExcMessage("ProbConserv: " + what + " has " +
                           std::to_string(prior.size()) +
                           " entries but the constraints are on " +
                           std::to_string(constraints.row(0).size()) +
                           " DoFs; the field and the constraints must come "
                           "from the same DoFHandler."));
    const bool same_partition = same_layout(is_free, prior.mean) &&
                                same_layout(constraints.row(0), prior.mean);
    AssertThrow(same_partition,
                ExcMessage("ProbConserv: " + what +
                           ", the free-entry mask and the constraints are "
                           "distributed over the MPI ranks differently; "
                           "build them on the same locally owned DoFs."));
    AssertThrow(settings.noise >= 0. && std::isfinite(settings.noise),
                ExcMessage("ProbConserv: the constraint noise sigma_G must be "
                           ">= 0, not " +
                           format_number(settings.noise) + "."));

    ProbConservResult result;
    result.uncertain = is_free;

    // HardC: the projection with Sigma = I on the free entries; the
    // variance stays the prior's.
    Update u = update(prior.mean,
                      prior,
                      is_free,
                      settings.hard_constraint,
                      constraints,
                      settings.noise,
                      what);
    result.conservation_error_before =
      constraints.conservation_error(u.initial_residuals);
    std::vector<double> residuals = u.residuals;
    if (settings.hard_constraint)
      {
        result.posterior      = restricted(prior, is_free);
        result.posterior.mean = std::move(u.mean);
      }
    else
      result.posterior = posterior_of(prior, is_free, std::move(u));

    if (settings.nonnegative)
      {
        TrilinosWrappers::MPI::Vector mask(is_free);
        for (unsigned int pass = 0; pass < settings.nonnegativity_passes;
             ++pass)
          {
            auto        &mean     = result.posterior.mean;
            unsigned int negative = 0;
            for (const auto i : mean.locally_owned_elements())
              if (is_free[i] > 0. && mean[i] < 0.)
                {
                  mean[i] = 0.;
                  mask[i] = 0.;
                  ++negative;
                }
            mean.compress(VectorOperation::insert);
            mask.compress(VectorOperation::insert);
            negative =
              Utilities::MPI::sum(negative, mean.get_mpi_communicator());
            result.clipped_entries += negative;
            if (negative == 0)
              break;
            // Meet the targets again with the zeros held: the prior
            // restricted to the entries still free, conditioned on the
            // constraints (the clipped entries get variance 0).
            Update again = update(mean,
                                  prior,
                                  mask,
                                  settings.hard_constraint,
                                  constraints,
                                  settings.noise,
                                  what);
            residuals    = again.residuals;
            if (settings.hard_constraint)
              {
                result.posterior      = restricted(prior, mask);
                result.posterior.mean = std::move(again.mean);
              }
            else
              result.posterior = posterior_of(prior, mask, std::move(again));
          }
        result.uncertain  = mask;
        bool any_negative = false;
        for (const auto i : result.posterior.mean.locally_owned_elements())
          any_negative =
            any_negative || (is_free[i] > 0. && result.posterior.mean[i] < 0.);
        result.nonnegative =
          Utilities::MPI::max(any_negative ? 1 : 0,
                              result.posterior.mean.get_mpi_communicator()) ==
          0;
      }

    // The conservation error after, and with noise 0 a check that the
    // targets hold to round-off: measured against the size of the terms
    // the integral sums (bounded by ||g||_1 ||u||_inf, plus the target and
    // the offset), an error above 1e-10 of that means S was too
    // ill-conditioned to solve, and the result is refused rather than
    // returned.
    result.conservation_error_after = constraints.conservation_error(residuals);
    if (settings.noise == 0.)
      {
        const unsigned int m       = constraints.n_rows();
        const double       largest = result.posterior.mean.linfty_norm();
        for (unsigned int k = 0; k < m; ++k)
          {
            const double size =
              constraints.row_l1_norm(k) * largest +
              std::abs(constraints.target(k)) +
              std::abs(constraints.target(k) - constraints.free_target(k));
            AssertThrow(std::abs(residuals[k]) <= 1e-10 * size,
                        ExcMessage("ProbConserv: after the update of " + what +
                                   " the constraint '" + constraints.name(k) +
                                   "' is still off its target by " +
                                   format_number(residuals[k]) + " (of " +
                                   format_number(size) +
                                   "): the constraint system is too "
                                   "ill-conditioned to meet it exactly. "
                                   "Remove nearly dependent constraints or "
                                   "give them a noise > 0."));
          }
      }
    return result;
  }
} // namespace dealii_learned
