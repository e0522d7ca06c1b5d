#pragma once

#include <dealii-learned/conservation/conservation_constraints.h>
#include <dealii-learned/conservation/gaussian_field.h>

#include <string>

namespace dealii_learned
{
  /**
   * The ProbConserv update: the posterior of a Gaussian prediction
   * N(mu, Sigma) given that the conservation constraints G u = b hold up to
   * noise sigma_G,
   *
   *   mu~    = mu - Sigma G^T S^-1 (G mu - b),
   *   Sigma~ = Sigma - Sigma G^T S^-1 G Sigma,   S = sigma_G^2 I + G Sigma G^T.
   *
   * With sigma_G = 0 the posterior mean satisfies G mu~ = b exactly (to
   * round-off), and the variance shrinks where the constraints inform it.
   * `hard_constraint` is the HardC baseline: the same formula with
   * Sigma = I, i.e. the orthogonal projection of the mean onto the
   * constraints, which ignores where the model is uncertain and may move
   * confident entries as much as uncertain ones; the variance is left as the
   * prior's.
   *
   * Cost for n DoFs, m constraints and a prior of rank r: Sigma G^T takes
   * O(n m r), G Sigma G^T O(n m^2) (m^2 products, reduced over MPI ranks),
   * the m x m solve O(m^3); the posterior has rank r + m (Sigma G^T joins
   * the low-rank factors, -S^-1 the core), so no n x n matrix ever exists.
   *
   * Only free DoFs are changed (the rows are zero on constrained ones):
   * the prior's covariance is restricted to them, the posterior mean's
   * constrained entries follow from its free ones (distribute them with the
   * host's AffineConstraints), and their variance is set to 0. A singular S
   * (sigma_G = 0 with dependent constraints, or constraints on which the
   * prior has no variance) is an error that says so.
   */
  struct ProbConservSettings
  {
    /** sigma_G: the constraints' noise (0: exact). */
    double noise = 0.;
    /** HardC instead of ProbConserv. */
    bool hard_constraint = false;
    /**
     * After the update, set negative mean entries to 0 and update again
     * with the prior restricted to the entries still positive, up to
     * `nonnegativity_passes` times. Each pass ends with an update, so the
     * targets are met exactly (noise 0) whatever happens; the zeros stay,
     * with variance 0 in the posterior. If new negative entries keep
     * appearing, some remain (ProbConservResult::nonnegative is false).
     */
    bool         nonnegative          = false;
    unsigned int nonnegativity_passes = 10;
  };


  /** What the update did. */
  struct ProbConservResult
  {
    GaussianField posterior;
    /** ConservationConstraints::conservation_error() before and after. */
    double conservation_error_before = 0.;
    double conservation_error_after  = 0.;
    /** Mean entries that the non-negativity step set to 0. */
    unsigned int clipped_entries = 0;
    /** Whether the non-negativity passes ended without negative entries. */
    bool nonnegative = true;
    /** The entries the posterior still treats as random (1) in the layout
     *  of the field: the free ones, less those the non-negativity step fixed
     *  at 0 (variance 0: no density, so log-likelihoods leave them out). */
    dealii::TrilinosWrappers::MPI::Vector uncertain;
  };


  /**
   * The update of @p prior by @p constraints. @p is_free marks the DoFs the
   * update may change (the host's unconstrained DoFs; 1 for free, 0 for
   * constrained, in the layout of the field). @p what names the prior in
   * messages.
   */
  ProbConservResult
  probconserv_update(const GaussianField                         &prior,
                     const ConservationConstraints               &constraints,
                     const dealii::TrilinosWrappers::MPI::Vector &is_free,
                     const ProbConservSettings                   &settings,
                     const std::string &what = "the prediction");
} // namespace dealii_learned
