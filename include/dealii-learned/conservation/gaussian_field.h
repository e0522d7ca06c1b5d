#pragma once

#include <deal.II/base/mpi.h>

#include <deal.II/lac/full_matrix.h>
#include <deal.II/lac/trilinos_vector.h>

#include <vector>

DEAL_II_NAMESPACE_OPEN
template <typename number>
class AffineConstraints;
class IndexSet;
DEAL_II_NAMESPACE_CLOSE

namespace dealii_learned
{
  /**
   * Whether @p a and @p b hold the same entries on every MPI rank (entries
   * are paired by local position in the update). Collective; the same
   * answer on every rank; O(local size) without allocation.
   */
  bool
  same_layout(const dealii::TrilinosWrappers::MPI::Vector &a,
              const dealii::TrilinosWrappers::MPI::Vector &b);


  /**
   * A Gaussian random field on the degrees of freedom of a finite element
   * space: a mean vector mu and a covariance
   *
   *   Sigma = diag(d) + L K L^T,
   *
   * a diagonal part d >= 0 plus a low-rank part with r columns L (vectors
   * of the same layout as mu) and a small symmetric r x r core K.
   *
   * Why this form: on a real mesh an n x n covariance cannot be stored, but
   * what probabilistic models give fits here exactly. A model with a
   * variance per point gives d; a deep ensemble of M members gives d (the
   * members' mean variance) plus the spread of the members' means,
   * L = [m_1 - mu, ..., m_M - mu] / sqrt(M) with K = I, which is the
   * ensemble's covariance, correlations included; and the ProbConserv
   * update, Sigma - Sigma G^T S^-1 G Sigma, adds m columns Sigma G^T and
   * the core block -S^-1, so it stays in the form. Applying Sigma to a
   * vector costs O(n r + r^2). A dense covariance is allowed for small
   * problems only (dense(), as n unit columns with K = Sigma).
   *
   * Vectors are distributed (locally owned entries); everything that sums
   * over entries is collective.
   */
  class GaussianField
  {
  public:
    /** Problems above this many DoFs are refused by dense(). */
    static constexpr unsigned int dense_limit = 2000;

    GaussianField() = default;

    /** Independent entries: mean and variance per DoF. */
    static GaussianField
    diagonal(const dealii::TrilinosWrappers::MPI::Vector &mean,
             const dealii::TrilinosWrappers::MPI::Vector &variance);

    /**
     * A deep ensemble: the members' means and variances. The mean is the
     * members' average, the diagonal their average variance, and the
     * low-rank part the spread of their means (rank M).
     */
    static GaussianField
    ensemble(
      const std::vector<dealii::TrilinosWrappers::MPI::Vector> &means,
      const std::vector<dealii::TrilinosWrappers::MPI::Vector> &variances);

    /** A full covariance matrix (row i of @p covariance for DoF i), for
     *  problems of at most dense_limit DoFs on one rank. */
    static GaussianField
    dense(const dealii::TrilinosWrappers::MPI::Vector &mean,
          const dealii::FullMatrix<double>            &covariance);

    /** Number of entries. */
    dealii::types::global_dof_index
    size() const;

    /** Columns of the low-rank part. */
    unsigned int
    rank() const;

    /** y = Sigma x. */
    void
    apply_covariance(const dealii::TrilinosWrappers::MPI::Vector &x,
                     dealii::TrilinosWrappers::MPI::Vector       &y) const;

    /** The variances, diag(Sigma). */
    dealii::TrilinosWrappers::MPI::Vector
    variance() const;

    /**
     * The variances of the field a finite element code sees, u = C u_free
     * + z after AffineConstraints::distribute(): on free entries
     * diag(Sigma); on a constrained entry u_i = sum_j c_ij u_j + z_i the
     * variance of that combination, c^T Sigma c (0 at a boundary value, the
     * parents' combination, correlations included, at a hanging node or a
     * periodic copy). The constrained entries' own values in Sigma are not
     * used. @p locally_relevant must hold every DoF a locally owned
     * constraint refers to (the locally relevant DoFs do). Collective.
     */
    dealii::TrilinosWrappers::MPI::Vector
    variance(const dealii::AffineConstraints<double> &constraints,
             const dealii::IndexSet                  &locally_relevant) const;

    /**
     * Checks what the update relies on, throwing with what is wrong and
     * where: sizes that match, finite entries, d >= 0, a symmetric core.
     * @p what names the field in messages ("the base model's prediction").
     */
    void
    check(const std::string &what) const;

    dealii::TrilinosWrappers::MPI::Vector              mean;
    dealii::TrilinosWrappers::MPI::Vector              diagonal_part;
    std::vector<dealii::TrilinosWrappers::MPI::Vector> factors;
    dealii::FullMatrix<double>                         core;
  };
} // namespace dealii_learned
