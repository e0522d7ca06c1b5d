#pragma once

// The phases of AggregationHierarchy that its source files share; private
// to source/models/ (aggregation_hierarchy*.cc).

#include <deal.II/base/index_set.h>
#include <deal.II/base/types.h>

#include <deal.II/lac/trilinos_sparse_matrix.h>
#include <deal.II/lac/trilinos_vector.h>

#include <dealii-learned/models/aggregation_hierarchy.h>

#include <Epetra_CrsMatrix.h>
#include <Epetra_MultiVector.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

namespace dealii_learned
{
  struct SystemStructure;

  namespace internal
  {
    using Index = dealii::types::global_dof_index;


    // ------------------------------------ aggregation_hierarchy_spectrum.cc

    /**
     * Replaces @p M by D^{-1/2} M D^{-1/2} and returns D^{-1/2}. Epetra
     * scales rows and columns in place (the column scaling imports the
     * ghost entries it needs), which is far faster than setting entries one
     * by one.
     */
    dealii::TrilinosWrappers::MPI::Vector
    scale_to_unit_diagonal(dealii::TrilinosWrappers::SparseMatrix &M);

    /**
     * Multiplies the unit-diagonal level matrix @p M by 2 / lambda_max and
     * @p s by its square root, so that M stays s A s for the level's
     * Galerkin operator A and its spectrum lies in (0, about 2] on every
     * level.
     * Returns the estimate; when it is not positive and finite (a level
     * matrix that is not SPD), nothing is scaled.
     */
    double
    normalize_spectrum(dealii::TrilinosWrappers::SparseMatrix &M,
                       dealii::TrilinosWrappers::MPI::Vector  &s);


    // ---------------------------------- aggregation_hierarchy_aggregates.cc

    /** Result of aggregation on one rank. */
    struct Aggregation
    {
      /** Global coarse index of each owned row (in order), or
       *  numbers::invalid_dof_index for a dropped (decoupled) row. */
      std::vector<Index> coarse_of;
      /** Coarse unknowns owned by this rank: [offset, offset + n_local). */
      Index offset = 0, n_local = 0, n_global = 0;
      /** Rows in the largest aggregate (global). */
      Index largest = 0;
    };

    /**
     * The greedy aggregation of the unit-diagonal matrix @p M, the same on
     * any number of MPI ranks (the passes are described at
     * GreedyAggregation in aggregation_hierarchy_aggregates.cc).
     */
    Aggregation
    aggregate(const dealii::TrilinosWrappers::SparseMatrix &M,
              const AggregationHierarchy::AdditionalData   &data);


    // -------------------------------- aggregation_hierarchy_prolongation.cc

    /**
     * Values per owned row of @p E (the columns of @p owned_values, on its
     * domain map) imported to the matrix's column map through its own
     * importer, one exchange for all of them (on one rank, or when the
     * column map is the domain map, a copy): column c's values are
     * result[v][c].
     */
    std::unique_ptr<Epetra_MultiVector>
    import_to_columns(const Epetra_CrsMatrix   &E,
                      const Epetra_MultiVector &owned_values);

    /** The rows of a prolongation: for owned row i, the coarse columns
     *  columns[start[i]..start[i+1]) and their values. */
    struct ProlongationRows
    {
      std::vector<std::size_t> start;
      std::vector<Index>       columns;
      std::vector<double>      values;
    };

    /**
     * The smoothed prolongation P = (I - omega Â) P_0, row by row from the
     * rows of Â, without forming P_0 as a matrix and multiplying.
     *
     * P_0 holds the level's near-kernel vector k = S^{-1} 1 on each
     * aggregate (the image of A's constant under the scaling; with P_0 = 1
     * instead, the coarse space would hold S 1 per aggregate, which varies
     * as the coefficient and the mesh size do, and fails on high-contrast
     * and graded meshes). So
     *
     *   P_iJ = k_i [agg(i) = J] - omega sum_j Â_ij k_j [agg(j) = J].
     *
     * The aggregate and k of the columns owned by other ranks come through
     * the matrix's own importer. Decoupled rows (no aggregate) have no
     * entries. With omega = 0 this is P_0. A non-empty @p smoothing
     * replaces omega by its per-edge weights omega_ij. Rows are truncated
     * (truncate_row()
     * in aggregation_hierarchy_prolongation.cc) if @p truncation > 0 or
     * @p max_entries > 0.
     */
    ProlongationRows
    prolongation_rows(const dealii::TrilinosWrappers::SparseMatrix &fine,
                      const dealii::TrilinosWrappers::MPI::Vector  &scaling,
                      const std::vector<Index>                     &coarse_of,
                      const double                                  omega,
                      const ProlongationSmoothing                  &smoothing,
                      const double                                  truncation,
                      const unsigned int max_entries);

    /** The prolongation with the pattern and values of @p rows. */
    dealii::TrilinosWrappers::SparseMatrix
    build_prolongation(const dealii::TrilinosWrappers::SparseMatrix &fine,
                       const ProlongationRows                       &rows,
                       const dealii::IndexSet &coarse_owned);

    /**
     * Writes the values of @p rows (untruncated) into @p P, whose pattern
     * was chosen by build_prolongation(): every column of P's rows must be
     * among those of @p rows. Entries outside P's pattern (dropped by the
     * truncation) are left out and the row is scaled to the full row's
     * sum, as the truncation does; returns the number of rows (on all
     * ranks) whose kept entries could not carry the sum (row_sum_factor()
     * is 0), which keep their values unscaled.
     */
    unsigned int
    update_prolongation(dealii::TrilinosWrappers::SparseMatrix &P,
                        const ProlongationRows                 &rows);

    /**
     * C = op(A) B in Epetra, with every structurally nonzero product
     * stored (hard zeros too), so that a later call with new values of A
     * and B and the same patterns can reuse C's pattern.
     */
    void
    multiply_keeping_pattern(const Epetra_CrsMatrix &A,
                             const bool              transpose_A,
                             const Epetra_CrsMatrix &B,
                             Epetra_CrsMatrix       &C);

    // ------------------------------------- aggregation_hierarchy_systems.cc

    /**
     * What a level of a system's hierarchy knows beyond its matrix: which
     * node (support point on level 0, aggregate on coarser levels) each
     * owned row belongs to, and the near-null space in the level's
     * unknowns before its diagonal scaling.
     */
    struct LevelStructure
    {
      /** Global node of every owned row; a node's rows are consecutive
       *  and owned by one rank. */
      std::vector<Index> node_of;
      /** Owned nodes: [first_node, first_node + n_nodes). */
      Index first_node = 0, n_nodes = 0;
      /** Near-null-space vectors, row after row: modes[i * n_vectors + c]. */
      unsigned int        n_vectors = 0;
      std::vector<double> modes;
    };

    /** Level 0 of a system: nodes of n_components consecutive rows (which
     *  every rank must own whole; a named error otherwise) and the
     *  structure's near-null space (the constant modes if it gives none). */
    LevelStructure
    fine_level_structure(const dealii::TrilinosWrappers::SparseMatrix &A,
                         const SystemStructure &structure);

    /** Rows of @p M without a nonzero off-diagonal entry (constrained
     *  DoFs): they get no coarse unknown. */
    std::vector<bool>
    decoupled_rows(const dealii::TrilinosWrappers::SparseMatrix &M);

    /**
     * The node graph of @p M: entry (I, J) is the Frobenius norm of the
     * block of M in the rows of node I and the columns of node J. The
     * greedy aggregation on it aggregates nodes, as ML does for systems
     * ("PDE equations").
     */
    dealii::TrilinosWrappers::SparseMatrix
    node_matrix(const dealii::TrilinosWrappers::SparseMatrix &M,
                const LevelStructure                         &level);

    /** The tentative prolongation of a system level, row by row. */
    struct SystemBasis
    {
      /** Per owned row: the first coarse unknown of its aggregate
       *  (numbers::invalid_dof_index for none) and the aggregate's number
       *  of coarse unknowns r. */
      std::vector<Index>        first_coarse;
      std::vector<unsigned int> n_coarse;
      /** Per owned row: whether it belongs to an aggregate (false for a
       *  decoupled row). */
      std::vector<bool> in_aggregate;
      /** Per owned row: its r entries of Q (row-major, n_vectors wide). */
      std::vector<double> q;
      dealii::IndexSet    coarse_owned;
      /** Per owned aggregate: the near-null-space vectors kept (bits). */
      std::vector<std::uint32_t> kept;
      /** The coarse level: one node per aggregate, its modes R. */
      LevelStructure coarse;
    };

    /**
     * Smoothed aggregation's tentative prolongation for a system: on
     * every aggregate the scaled near-null space B̂ = S^{-1} B is
     * orthonormalised, B̂_J = Q_J R_J (Gram-Schmidt in the aggregate's Gram
     * matrix, whose partial sums are gathered by the aggregate's owner, so
     * aggregates may cross ranks); Q_J gives the aggregate's r_J coarse
     * unknowns (r_J < n_vectors where the aggregate has too few unknowns
     * for all vectors), and R_J the coarse level's near-null space.
     * @p aggregate_of_row: the aggregate of every owned row, or
     * numbers::invalid_dof_index; this rank owns the aggregates
     * [first_aggregate, first_aggregate + n_owned_aggregates). With
     * @p kept_given (reinit_values()), exactly those vectors are kept.
     */
    SystemBasis
    system_basis(const dealii::TrilinosWrappers::SparseMatrix &M,
                 const dealii::TrilinosWrappers::MPI::Vector  &scaling,
                 const LevelStructure                         &level,
                 const std::vector<Index>                     &aggregate_of_row,
                 const Index                                   first_aggregate,
                 const Index                       n_owned_aggregates,
                 const std::vector<std::uint32_t> *kept_given);

    /** The rows of P = (I - omega Â) Q, with every structural entry kept
     *  (zeros too), so that reinit_values() finds the same pattern. */
    ProlongationRows
    system_prolongation_rows(const dealii::TrilinosWrappers::SparseMatrix &fine,
                             const SystemBasis           &basis,
                             const unsigned int           n_vectors,
                             const double                 omega,
                             const ProlongationSmoothing &smoothing);
  } // namespace internal
} // namespace dealii_learned
