#pragma once

#include <deal.II/base/index_set.h>
#include <deal.II/base/mpi.h>

#include <deal.II/dofs/dof_handler.h>

#include <string>
#include <utility>
#include <vector>

DEAL_II_NAMESPACE_OPEN
template <typename number>
class AffineConstraints;
DEAL_II_NAMESPACE_CLOSE

namespace dealii_learned
{
  /**
   * Experts as groups of cells, and the residual rows each expert owns.
   *
   * The cells are split into K experts by one of
   *  - `z-order`: the cells sorted by the Morton code of their centres in
   *    the mesh's bounding box and cut into K runs of (nearly) equal
   *    length; the same partition on any number of MPI ranks;
   *  - `metis`: METIS on the graph of face neighbours (a mesh held by one
   *    rank);
   *  - `mpi-subdomains`: expert k is MPI rank k's locally owned cells
   *    (K = number of ranks).
   *
   * A residual row, the condensed test function of a free DoF, belongs to
   * expert k when every cell it reaches (its own cells and those of the
   * hanging nodes constrained to it) is one of expert k's: it then depends
   * on expert k's field alone. The other free rows are interface rows.
   */
  template <int dim>
  class ExpertPartition
  {
  public:
    using cell_iterator =
      typename dealii::DoFHandler<dim>::active_cell_iterator;

    /** `z-order`, `metis` or `mpi-subdomains`. */
    ExpertPartition(const dealii::DoFHandler<dim>           &dof_handler,
                    const dealii::AffineConstraints<double> &constraints,
                    const dealii::IndexSet                  &locally_owned,
                    const dealii::IndexSet                  &locally_relevant,
                    const unsigned int                       n_experts,
                    const std::string                       &method,
                    const MPI_Comm                           comm);

    unsigned int
    n_experts() const;

    /** The expert of a locally owned cell. */
    unsigned int
    expert_of(const cell_iterator &cell) const;

    /** Expert @p k's locally owned cells. */
    const std::vector<cell_iterator> &
    cells(const unsigned int k) const;

    /** Expert @p k's rows among the locally owned DoFs. */
    const std::vector<dealii::types::global_dof_index> &
    rows(const unsigned int k) const;

    /** Locally owned free DoFs whose row reaches more than one expert. */
    const std::vector<dealii::types::global_dof_index> &
    interface_rows() const;

    /** The lowest and the highest expert whose cells reach the row of
     *  the locally owned free DoF @p i (equal for an expert's row;
     *  numbers::invalid_unsigned_int for a constrained DoF). */
    std::pair<unsigned int, unsigned int>
    experts_of_row(const dealii::types::global_dof_index i) const;

    /** Cells per expert, over all ranks. */
    std::vector<unsigned long long>
    n_cells_per_expert() const;

    /** Rows per expert, over all ranks. */
    std::vector<unsigned long long>
    n_rows_per_expert() const;

    /** Interface rows over all ranks. */
    unsigned long long
    n_interface_rows() const;

  private:
    MPI_Comm                                comm;
    unsigned int                            K;
    std::vector<unsigned int>               expert; // by active_cell_index
    std::vector<std::vector<cell_iterator>> expert_cells;
    std::vector<std::vector<dealii::types::global_dof_index>> expert_rows;
    std::vector<dealii::types::global_dof_index>              shared_rows;
    dealii::IndexSet                                          owned;
    std::vector<std::pair<unsigned int, unsigned int>>        row_experts;
  };
} // namespace dealii_learned
