#include <deal.II/base/exceptions.h>

#include <deal.II/lac/lapack_full_matrix.h>

#include <dealii-learned/base/utilities.h>
#include <dealii-learned/conservation/prob_conserv.h>

#include <cmath>

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
    inverse_of_gram(const FullMatrix<double> &S, const std::string &what)
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
      for (const double l : eigenvalues)
        smallest = std::min(smallest, l);
      AssertThrow(largest > 0. && smallest > 1e-12 * largest,
                  ExcMessage(
                    "ProbConserv: the constraint system S = sigma_G^2 I + "
                    "G Sigma G^T of " +
                    what + " is singular (eigenvalues from " +
                    format_number(smallest) + " to " + format_number(largest) +
                    "): with noise 0 the constraints must be independent "
                    "(two identical rows are not), and the prediction must "
                    "have variance where the constraints act. Remove the "
                    "dependent constraint or give the constraints a noise > "
                    "0."));
      FullMatrix<double> inverse(m, m);
      for (unsigned int i = 0; i < m; ++i)
        for (unsigned int j = 0; j < m; ++j)
          for (unsigned int k = 0; k < m; ++k)
            inverse(i, j) +=
              eigenvectors(i, k) * eigenvectors(j, k) / eigenvalues[k];
      return inverse;
    }


    /**
     * One Bayesian update of @p mean with the covariance @p sigma (already
     * restricted to the entries that may change): returns the posterior;
     * its covariance is sigma - W S^-1 W^T with W = sigma G^T.
     */
    GaussianField
    update(const TrilinosWrappers::MPI::Vector &mean,
           const GaussianField                 &sigma,
           const ConservationConstraints       &constraints,
           const double                         noise,
           const std::string                   &what)
    {
      const unsigned int                         m = constraints.n_rows();
      std::vector<TrilinosWrappers::MPI::Vector> W(m, mean);
      for (unsigned int k = 0; k < m; ++k)
        sigma.apply_covariance(constraints.row(k), W[k]);
      FullMatrix<double> S(m, m);
      Vector<double>     residual(m);
      for (unsigned int k = 0; k < m; ++k)
        {
          for (unsigned int l = 0; l < m; ++l)
            S(k, l) = constraints.row(k) * W[l];
          S(k, k) += noise * noise;
          residual[k] = constraints.row(k) * mean - constraints.free_target(k);
        }
      // G Sigma G^T is symmetric in exact arithmetic; make it so.
      for (unsigned int k = 0; k < m; ++k)
        for (unsigned int l = 0; l < k; ++l)
          S(k, l) = S(l, k) = 0.5 * (S(k, l) + S(l, k));
      const FullMatrix<double> S_inverse = inverse_of_gram(S, what);

      GaussianField posterior = sigma;
      posterior.mean          = mean;
      Vector<double> x(m);
      S_inverse.vmult(x, residual);
      for (unsigned int k = 0; k < m; ++k)
        posterior.mean.add(-x[k], W[k]);

      const unsigned int r = sigma.rank();
      FullMatrix<double> core(r + m, r + m);
      for (unsigned int i = 0; i < r; ++i)
        for (unsigned int j = 0; j < r; ++j)
          core(i, j) = sigma.core(i, j);
      for (unsigned int i = 0; i < m; ++i)
        for (unsigned int j = 0; j < m; ++j)
          core(r + i, r + j) = -S_inverse(i, j);
      posterior.factors.insert(posterior.factors.end(), W.begin(), W.end());
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
    AssertThrow(settings.noise >= 0. && std::isfinite(settings.noise),
                ExcMessage("ProbConserv: the constraint noise sigma_G must be "
                           ">= 0, not " +
                           format_number(settings.noise) + "."));

    ProbConservResult result;
    result.conservation_error_before =
      constraints.conservation_error(prior.mean);

    // HardC: the projection with Sigma = I on the free entries.
    GaussianField sigma;
    if (settings.hard_constraint)
      {
        sigma.mean          = prior.mean;
        sigma.diagonal_part = is_free;
      }
    else
      sigma = restricted(prior, is_free);
    result.posterior =
      update(prior.mean, sigma, constraints, settings.noise, what);
    if (settings.hard_constraint)
      {
        const TrilinosWrappers::MPI::Vector mean = result.posterior.mean;
        result.posterior                         = restricted(prior, is_free);
        result.posterior.mean                    = mean;
      }

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
            // Meet the targets again with the zeros held.
            const GaussianField masked = settings.hard_constraint ?
                                           [&]() {
                                             GaussianField f;
                                             f.mean          = mean;
                                             f.diagonal_part = mask;
                                             return f;
                                           }() :
                                           restricted(prior, mask);
            mean = update(mean, masked, constraints, settings.noise, what).mean;
          }
        bool any_negative = false;
        for (const auto i : result.posterior.mean.locally_owned_elements())
          any_negative =
            any_negative || (is_free[i] > 0. && result.posterior.mean[i] < 0.);
        result.nonnegative =
          Utilities::MPI::max(any_negative ? 1 : 0,
                              result.posterior.mean.get_mpi_communicator()) ==
          0;
      }

    result.conservation_error_after =
      constraints.conservation_error(result.posterior.mean);
    return result;
  }
} // namespace dealii_learned
