#include <deal.II/base/exceptions.h>
#include <deal.II/base/mpi.h>
#include <deal.II/base/parallel.h>
#include <deal.II/base/quadrature.h>

#include <deal.II/fe/mapping.h>

#include <deal.II/lac/affine_constraints.h>
#include <deal.II/lac/la_parallel_vector.h>
#include <deal.II/lac/lapack_full_matrix.h>

#include <dealii-learned/base/utilities.h>
#include <dealii-learned/constraints/hard_constraint_layer.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>

#include "hard_constraint_qr.h"

namespace dealii_learned
{
  using namespace dealii;

  using namespace internal::hard_constraint_qr;


  void
  HardConstraintSettings::declare_parameters(ParameterHandler &prm,
                                             const bool        norm_from_model)
  {
    prm.declare_entry("Tolerance",
                      "1e-8",
                      Patterns::Double(0.),
                      "An expert has converged when its residual has fallen "
                      "by this factor, when what a step can still remove is "
                      "below this fraction of it, or when five steps "
                      "lowered it by less than this fraction.");
    prm.declare_entry("Maximum iterations",
                      "100",
                      Patterns::Integer(1),
                      "The experts' Gauss-Newton / Levenberg-Marquardt "
                      "iterations; an expert that has not converged then is "
                      "an error that names it.");
    prm.declare_entry("Damping",
                      "1e-3",
                      Patterns::Double(0.),
                      "Levenberg-Marquardt's initial damping (nonlinear "
                      "residuals).");
    prm.declare_entry("Constraint rows per expert",
                      "0",
                      Patterns::Integer(0),
                      "Residual rows each expert makes vanish (a sample); "
                      "0: all of its rows.");
    prm.declare_entry(
      "Residual norm",
      norm_from_model ? "model" : "energy",
      Patterns::Selection(norm_from_model ? "model|euclidean|diagonal|energy" :
                                            "euclidean|diagonal|energy"),
      std::string(
        "What the experts' fits make small: euclidean: ||R||^2 (least "
        "squares); diagonal: ||D^{-1/2} R||^2, D the diagonal of the "
        "residual's Jacobian at the boundary values, so that rows where the "
        "coefficient is large do not outweigh the others; energy: the "
        "residual tested with the expert's basis fields vanishes "
        "(Ritz-Galerkin for one expert on all rows: for a symmetric "
        "positive definite linear residual the energy norm of the error is "
        "smallest; independent experts only). A trainer's loss uses the "
        "same norm (energy: R^T J(u_0)^-1 R, J(u_0) symmetric)") +
        (norm_from_model ? "; model: as the model was trained." : "."));
  }


  void
  HardConstraintSettings::parse_parameters(const ParameterHandler &prm)
  {
    tolerance       = prm.get_double("Tolerance");
    max_iterations  = prm.get_integer("Maximum iterations");
    damping         = prm.get_double("Damping");
    rows_per_expert = prm.get_integer("Constraint rows per expert");
    if (const std::string norm = prm.get("Residual norm"); norm != "model")
      residual_norm = residual_norm_from_name(norm);
  }


  std::string
  HardConstraintSettings::residual_norm_name(const ResidualNorm norm)
  {
    switch (norm)
      {
        case ResidualNorm::euclidean:
          return "euclidean";
        case ResidualNorm::diagonal:
          return "diagonal";
        case ResidualNorm::energy:
          return "energy";
      }
    return "euclidean";
  }


  HardConstraintSettings::ResidualNorm
  HardConstraintSettings::residual_norm_from_name(const std::string &name)
  {
    for (const auto norm : {ResidualNorm::euclidean,
                            ResidualNorm::diagonal,
                            ResidualNorm::energy})
      if (residual_norm_name(norm) == name)
        return norm;
    AssertThrow(false,
                ExcMessage("Hard constraints: unknown residual norm '" + name +
                           "'; it is euclidean, diagonal or energy."));
    return ResidualNorm::euclidean;
  }


  template <int dim>
  HardConstraintLayer<dim>::HardConstraintLayer(
    const ResidualOperator<dim>   &residual,
    const FiniteElementSpace<dim> &space,
    const ExpertPartition<dim>    &experts,
    const HardConstraintSettings  &settings)
    : residual(residual)
    , space(space)
    , experts(experts)
    , settings(settings)
    , K(experts.n_experts())
    , coupled(settings.interface_weight > 0. && experts.n_experts() > 1)
  {
    AssertThrow(!coupled || settings.residual_norm !=
                              HardConstraintSettings::ResidualNorm::energy,
                ExcMessage("Hard constraints: `Residual norm = energy` "
                           "works with independent experts only; set the "
                           "interface weight to 0 or use the euclidean or "
                           "diagonal norm with coupling."));
    // Each expert's rows, sampled to exactly `rows_per_expert`: the rows
    // whose hashes of (seed, DoF index) are the smallest among the
    // expert's, so the sample is the same on any number of ranks.
    const auto     counts = experts.n_rows_per_expert();
    const MPI_Comm comm   = space.mpi_communicator;
    LinearAlgebra::distributed::Vector<double> selected(space.locally_owned,
                                                        space.locally_relevant,
                                                        comm);
    for (const auto i : space.locally_owned)
      selected[i] = -1.;
    const auto key = [&](const types::global_dof_index i) {
      return hash_to_unit_interval((std::uint64_t(settings.seed) << 40) ^
                                   std::uint64_t(i));
    };
    std::vector<double> thresholds(K, 2.);
    {
      // Every expert's keys that could be among its smallest, gathered:
      // the global smallest `rows_per_expert` are among the union of each
      // rank's smallest `rows_per_expert`, so only those travel.
      std::vector<double> local;
      for (unsigned int k = 0; k < K; ++k)
        if (settings.rows_per_expert > 0 &&
            settings.rows_per_expert < counts[k])
          {
            std::vector<double> mine;
            for (const auto i : experts.rows(k))
              mine.push_back(key(i));
            if (mine.size() > settings.rows_per_expert)
              {
                std::nth_element(mine.begin(),
                                 mine.begin() + settings.rows_per_expert - 1,
                                 mine.end());
                mine.resize(settings.rows_per_expert);
              }
            for (const double value : mine)
              {
                local.push_back(k);
                local.push_back(value);
              }
          }
      std::vector<std::vector<double>> keys(K);
      for (const auto &part : Utilities::MPI::all_gather(comm, local))
        for (std::size_t p = 0; p + 1 < part.size(); p += 2)
          keys[static_cast<unsigned int>(part[p])].push_back(part[p + 1]);
      for (unsigned int k = 0; k < K; ++k)
        if (!keys[k].empty())
          {
            std::nth_element(keys[k].begin(),
                             keys[k].begin() + settings.rows_per_expert - 1,
                             keys[k].end());
            thresholds[k] = keys[k][settings.rows_per_expert - 1];
          }
    }
    expert_reports.assign(K, {});
    for (unsigned int k = 0; k < K; ++k)
      {
        unsigned long long n = 0;
        for (const auto i : experts.rows(k))
          if (key(i) <= thresholds[k])
            {
              selected[i] = k;
              ++n;
            }
        expert_reports[k].rows = Utilities::MPI::sum(n, comm);
      }
    // With coupling, the interface rows (no expert's alone) join the
    // joint problem: marked -2.
    if (coupled)
      for (const auto i : experts.interface_rows())
        selected[i] = -2.;
    selected.update_ghost_values();
    const auto &relevant = space.locally_relevant;
    row_expert.resize(relevant.n_elements());
    owned_rows_of.assign(K, {});
    ghost_rows_of.assign(K, {});
    partitioner = selected.get_partitioner();
    local_index.resize(relevant.n_elements());
    {
      unsigned int r = 0;
      for (const auto i : relevant)
        {
          row_expert[r]  = static_cast<int>(selected[i]);
          local_index[r] = partitioner->global_to_local(i);
          if (row_expert[r] == -2)
            {
              interface_index.resize(relevant.n_elements(), -1);
              interface_index[r] = interface_rows.size();
              interface_rows.push_back(r);
              if (space.locally_owned.is_element(i))
                owned_interface.push_back(interface_index[r]);
            }
          if (row_expert[r] >= 0)
            (space.locally_owned.is_element(i) ? owned_rows_of :
                                                 ghost_rows_of)[row_expert[r]]
              .push_back(r);
          ++r;
        }
    }
    active.assign(K, true);

    // Every locally owned cell's DoFs as relevant rows and links.
    cells_of.assign(K, {});
    const unsigned int n = space.dof_handler.get_fe().n_dofs_per_cell();
    std::vector<types::global_dof_index> dofs(n);
    bool                                 parents_known = true;
    for (const auto &cell : space.dof_handler.active_cell_iterators())
      if (cell->is_locally_owned())
        {
          CellData data;
          data.cell   = cell;
          data.expert = experts.expert_of(cell);
          cell->get_dof_indices(dofs);
          data.rows.resize(n);
          data.links.resize(n);
          for (unsigned int j = 0; j < n; ++j)
            {
              data.rows[j]   = relevant.index_within_set(dofs[j]);
              const auto add = [&](const types::global_dof_index g,
                                   const double                  factor) {
                if (!relevant.is_element(g))
                  {
                    parents_known = false;
                    return;
                  }
                const unsigned int r = relevant.index_within_set(g);
                data.links[j].emplace_back(r, factor);
                data.reaches_selected =
                  data.reaches_selected ||
                  row_expert[r] == static_cast<int>(data.expert) ||
                  row_expert[r] == -2;
              };
              if (const auto *entries =
                    space.constraints.get_constraint_entries(dofs[j]))
                for (const auto &[parent, factor] : *entries)
                  add(parent, factor);
              else if (!space.constraints.is_constrained(dofs[j]))
                add(dofs[j], 1.);
            }
          if (data.reaches_selected)
            cells_of[data.expert].push_back(cell_data.size());
          cell_data.push_back(std::move(data));
        }
    AssertThrow(Utilities::MPI::min(parents_known ? 1 : 0, comm) > 0,
                ExcMessage("Hard constraints: a constrained DoF refers to a "
                           "DoF that is not locally relevant; build the "
                           "constraints on the locally relevant DoFs "
                           "(hanging nodes and boundary values)."));
  }


  template <int dim>
  unsigned int
  HardConstraintLayer<dim>::n_rows() const
  {
    return space.locally_relevant.n_elements();
  }


  template <int dim>
  LinearAlgebra::distributed::Vector<double> &
  HardConstraintLayer<dim>::buffer(const unsigned int width) const
  {
    auto it = buffers.find(width);
    if (it == buffers.end())
      {
        // Row i becomes entries i width, ..., i width + width - 1: the
        // local order stays that of the rows (owned, then ghosts).
        const auto expand = [&](const IndexSet &set) {
          IndexSet result(set.size() * width);
          for (auto interval = set.begin_intervals();
               interval != set.end_intervals();
               ++interval)
            result.add_range(*interval->begin() * width,
                             (interval->last() + 1) * width);
          result.compress();
          return result;
        };
        it = buffers
               .emplace(width,
                        LinearAlgebra::distributed::Vector<double>(
                          expand(partitioner->locally_owned_range()),
                          expand(partitioner->ghost_indices()),
                          space.mpi_communicator))
               .first;
      }
    return it->second;
  }


  template <int dim>
  void
  HardConstraintLayer<dim>::exchange_rows(std::vector<double> &rows,
                                          const unsigned int   width,
                                          const bool           sum) const
  {
    auto              &v       = buffer(width);
    const unsigned int n       = n_rows();
    const unsigned int n_owned = partitioner->locally_owned_size();
    // (The buffer is left ghosted by its last use; compress() needs it
    // not to be.)
    v.zero_out_ghost_values();
    // Summing sends the ghost rows' contributions to their owners first;
    // either way the owners' values then go to the ghosts.
    for (unsigned int r = 0; r < n; ++r)
      if (sum || local_index[r] < n_owned)
        for (unsigned int c = 0; c < width; ++c)
          v.local_element(local_index[r] * width + c) = rows[r * width + c];
    if (sum)
      v.compress(VectorOperation::add);
    v.update_ghost_values();
    for (unsigned int r = 0; r < n; ++r)
      for (unsigned int c = 0; c < width; ++c)
        rows[r * width + c] = v.local_element(local_index[r] * width + c);
  }


  template <int dim>
  void
  HardConstraintLayer<dim>::assemble(const bool           with_jacobian,
                                     std::vector<double> &squared,
                                     std::vector<FullMatrix<double>> *factors)
  {
    // The rows of the experts still iterating start from 0; a finished
    // expert keeps its owned rows (its weights no longer change) and
    // sends nothing from its ghost rows.
    for (unsigned int k = 0; k < K; ++k)
      {
        for (const unsigned int r : ghost_rows_of[k])
          {
            R[r] = 0.;
            if (with_jacobian)
              std::fill(&M[r * N], &M[r * N] + N, 0.);
          }
        if (active[k])
          for (const unsigned int r : owned_rows_of[k])
            {
              R[r] = 0.;
              if (with_jacobian)
                std::fill(&M[r * N], &M[r * N] + N, 0.);
            }
      }
    // Interface rows (coupling): each expert adds its cells' part into a
    // slot of its own (R per expert, M in its block of columns).
    const unsigned int KN = K * N;
    if (coupled)
      {
        interface_residuals.assign(interface_rows.size() * K, 0.);
        if (with_jacobian)
          interface_jacobian.assign(interface_rows.size() * KN, 0.);
      }
    // The experts concurrently (task-based, as many threads as deal.II's
    // MultithreadInfo allows): an expert's cells add only to its own rows,
    // so experts never write to the same place.
    const auto work = [&](const unsigned int first, const unsigned int last) {
      ResidualCellScratch<dim>  scratch(space);
      const unsigned int        n             = scratch.values.size();
      std::vector<double>      &u             = scratch.values;
      const Vector<double>     &cell_residual = scratch.residual;
      const FullMatrix<double> &cell_jacobian = scratch.jacobian;
      FullMatrix<double>        cell_M(n, N);
      for (unsigned int e = first; e < last; ++e)
        if (active[e])
          for (const unsigned int index : cells_of[e])
            {
              const CellData &data = cell_data[index];
              for (unsigned int j = 0; j < n; ++j)
                {
                  const unsigned int r     = data.rows[j];
                  double             value = offset[r];
                  for (unsigned int b = 0; b < N; ++b)
                    value += basis[r * N + b] * w[e][b];
                  u[j] = value;
                }
              scratch.evaluate(residual, data.cell, with_jacobian);
              if (with_jacobian)
                for (unsigned int i = 0; i < n; ++i)
                  for (unsigned int b = 0; b < N; ++b)
                    {
                      double sum = 0.;
                      for (unsigned int j = 0; j < n; ++j)
                        sum +=
                          cell_jacobian(i, j) * basis[data.rows[j] * N + b];
                      cell_M(i, b) = sum;
                    }
              // Into the condensed rows this expert selects.
              for (unsigned int i = 0; i < n; ++i)
                for (const auto &[r, link] : data.links[i])
                  if (const double factor = link * row_scale[r];
                      row_expert[r] == static_cast<int>(e))
                    {
                      R[r] += factor * cell_residual(i);
                      if (with_jacobian)
                        for (unsigned int b = 0; b < N; ++b)
                          M[r * N + b] += factor * cell_M(i, b);
                    }
                  else if (row_expert[r] == -2)
                    {
                      const std::size_t x = interface_index[r];
                      interface_residuals[x * K + e] +=
                        factor * cell_residual(i);
                      if (with_jacobian)
                        for (unsigned int b = 0; b < N; ++b)
                          interface_jacobian[x * KN + e * N + b] +=
                            factor * cell_M(i, b);
                    }
            }
    };
    parallel::apply_to_subranges(0u, K, work, 1);
    exchange_rows(R, 1, true);
    if (with_jacobian)
      exchange_rows(M, N, true);
    if (coupled)
      assemble_interface(with_jacobian);

    // Per expert: ||R||^2 over its locally owned rows, and with the
    // Jacobian the triangular factor of [M | R] over all ranks (a QR of
    // each rank's rows, then of the ranks' factors stacked).
    // (Without factors to make, as for the Galerkin experts, no blocks.)
    const bool          factor = with_jacobian && factors != nullptr;
    std::vector<double> sums(K, 0.);
    std::vector<std::vector<double>> blocks(factor ? K : 0);
    for (unsigned int k = 0; k < K; ++k)
      if (active[k])
        for (const unsigned int r : owned_rows_of[k])
          {
            sums[k] += R[r] * R[r];
            if (factor)
              {
                blocks[k].insert(blocks[k].end(), &M[r * N], &M[r * N] + N);
                blocks[k].push_back(R[r]);
              }
          }
    Utilities::MPI::sum(sums, space.mpi_communicator, sums);
    squared = sums;
    if (!factor)
      return;
    const unsigned int  c = N + 1;
    std::vector<double> local(std::size_t(K) * c * c);
    parallel::apply_to_subranges(
      0u,
      K,
      [&](const unsigned int first, const unsigned int last) {
        for (unsigned int k = first; k < last; ++k)
          {
            const FullMatrix<double> factor =
              triangular_factor(blocks[k], blocks[k].size() / c, c);
            for (unsigned int i = 0; i < c; ++i)
              for (unsigned int j = 0; j < c; ++j)
                local[(k * c + i) * c + j] = factor(i, j);
          }
      },
      1);
    const auto all = Utilities::MPI::all_gather(space.mpi_communicator, local);
    for (unsigned int k = 0; k < K; ++k)
      {
        std::vector<double> stacked;
        for (const auto &part : all)
          stacked.insert(stacked.end(),
                         part.begin() + std::size_t(k) * c * c,
                         part.begin() + std::size_t(k + 1) * c * c);
        (*factors)[k] = triangular_factor(stacked, all.size() * c, c);
      }
  }


  template <int dim>
  void
  HardConstraintLayer<dim>::update_linear(const unsigned int    k,
                                          const Vector<double> &d)
  {
    w[k] += d;
    for (const auto *rows : {&owned_rows_of[k], &ghost_rows_of[k]})
      for (const unsigned int r : *rows)
        {
          double change = 0.;
          for (unsigned int b = 0; b < N; ++b)
            change += M[std::size_t(r) * N + b] * d(b);
          R[r] += change;
        }
  }


  template <int dim>
  std::vector<double>
  HardConstraintLayer<dim>::squared_residuals() const
  {
    std::vector<double> sums(K, 0.);
    for (unsigned int k = 0; k < K; ++k)
      for (const unsigned int r : owned_rows_of[k])
        sums[k] += R[r] * R[r];
    Utilities::MPI::sum(sums, space.mpi_communicator, sums);
    return sums;
  }


  template <int dim>
  void
  HardConstraintLayer<dim>::solve_linear()
  {
    std::vector<double>             squared;
    std::vector<FullMatrix<double>> factors(K);
    assemble(true, squared, &factors);
    // The solve from the factor [[R_M, c], [0, rho]] of [M | R(0)] (an
    // expert whose rows do not determine its weights is an error here).
    for (unsigned int k = 0; k < K; ++k)
      {
        expert_reports[k].initial_residual = std::sqrt(squared[k]);
        const Vector<double> step          = least_squares_step(
          factors[k], 0., k, expert_reports[k].rows, triangular[k]);
        update_linear(k, step);
      }
    // One refinement step against the round-off of the solve (corrected
    // semi-normal equations): R_M^T R_M d = -M^T R(w).
    std::vector<double> products(std::size_t(K) * N, 0.);
    for (unsigned int k = 0; k < K; ++k)
      for (const unsigned int r : owned_rows_of[k])
        for (unsigned int b = 0; b < N; ++b)
          products[k * N + b] += M[std::size_t(r) * N + b] * R[r];
    Utilities::MPI::sum(products, space.mpi_communicator, products);
    for (unsigned int k = 0; k < K; ++k)
      {
        Vector<double> g(N);
        for (unsigned int b = 0; b < N; ++b)
          g(b) = products[k * N + b];
        Vector<double> d =
          back_substitute(triangular[k], forward_substitute(triangular[k], g));
        d *= -1.;
        update_linear(k, d);
      }
    squared = squared_residuals();
    for (unsigned int k = 0; k < K; ++k)
      {
        expert_reports[k].residual   = std::sqrt(squared[k]);
        expert_reports[k].iterations = 1;
        expert_reports[k].converged  = true;
      }
  }


  template <int dim>
  void
  HardConstraintLayer<dim>::forward(const double                  *B,
                                    const unsigned int             n_basis,
                                    TrilinosWrappers::MPI::Vector &u)
  {
    AssertThrow(Utilities::MPI::min(n_basis, space.mpi_communicator) > 0 &&
                  Utilities::MPI::min(n_basis, space.mpi_communicator) ==
                    Utilities::MPI::max(n_basis, space.mpi_communicator),
                ExcMessage("Hard constraints: no basis fields, or not as many "
                           "on every MPI rank (" +
                           std::to_string(n_basis) + " on this one)."));
    N                              = n_basis;
    const auto        &relevant    = space.locally_relevant;
    const auto        &constraints = space.constraints;
    const unsigned int n           = n_rows();

    // B~ = C B and z on the relevant rows.
    basis.assign(std::size_t(n) * N, 0.);
    offset.assign(n, 0.);
    valid              = false;
    bool parents_known = true;
    for (unsigned int r = 0; r < n; ++r)
      {
        const auto g = relevant.nth_index_in_set(r);
        if (constraints.is_constrained(g))
          {
            offset[r] = constraints.get_inhomogeneity(g);
            if (const auto *entries = constraints.get_constraint_entries(g))
              for (const auto &[parent, factor] : *entries)
                {
                  if (!relevant.is_element(parent))
                    {
                      parents_known = false;
                      continue;
                    }
                  const unsigned int p = relevant.index_within_set(parent);
                  for (unsigned int b = 0; b < N; ++b)
                    basis[r * N + b] += factor * B[p * N + b];
                }
          }
        else
          for (unsigned int b = 0; b < N; ++b)
            basis[r * N + b] = B[r * N + b];
      }
    // (Decided on every rank: a NaN may sit in one rank's rows only.)
    double check = 0.;
    for (std::size_t k = 0; k < std::size_t(n) * N; ++k)
      check += B[k] * 0.;
    AssertThrow(Utilities::MPI::min(std::isfinite(check) ? 1 : 0,
                                    space.mpi_communicator) > 0,
                ExcMessage("Hard constraints: the basis fields hold NaN or "
                           "infinite values (the network's output)."));
    AssertThrow(Utilities::MPI::min(parents_known ? 1 : 0,
                                    space.mpi_communicator) > 0,
                ExcMessage("Hard constraints: a constrained DoF refers to a "
                           "DoF that is not locally relevant; build the "
                           "constraints on the locally relevant DoFs "
                           "(hanging nodes and boundary values)."));
    AssertThrow(residual.get_parameters().size() ==
                  residual.parameter_names().size(),
                ExcMessage("Hard constraints: the residual's parameters are "
                           "not set (ResidualOperator::set_parameters())."));

    // The rows' scaling (collective).
    row_scale.assign(n, 1.);
    if (settings.residual_norm ==
        HardConstraintSettings::ResidualNorm::diagonal)
      {
        TrilinosWrappers::MPI::Vector weights;
        residual_row_weights(residual, space, weights);
        TrilinosWrappers::MPI::Vector ghosted(space.locally_owned,
                                              relevant,
                                              space.mpi_communicator);
        ghosted = weights;
        for (unsigned int r = 0; r < n; ++r)
          {
            const auto g = relevant.nth_index_in_set(r);
            if (!constraints.is_constrained(g))
              row_scale[r] = std::sqrt(ghosted[g]);
          }
      }

    R.assign(n, 0.);
    M.assign(std::size_t(n) * N, 0.);
    w.assign(K, Vector<double>(N));
    triangular.assign(K, FullMatrix<double>(N, N));

    const bool                      linear = residual.is_linear();
    std::vector<double>             squared;
    std::vector<FullMatrix<double>> factors(K), accepted(K);
    // ||c|| from the factor [[R_M, c], [0, rho]] of [M | R]: the part of
    // the residual that a step in w can still remove.
    const auto reducible = [&](const FullMatrix<double> &f) {
      double sum = 0.;
      for (unsigned int i = 0; i < N; ++i)
        sum += f(i, N) * f(i, N);
      return std::sqrt(sum);
    };
    std::vector<Vector<double>> previous_w(K, Vector<double>(N));
    std::vector<double> previous_residual(K, 0.), damping(K, settings.damping),
      predicted(K, 0.), growth(K, 2.);
    std::vector<bool>                done(K, false);
    std::vector<std::vector<double>> history(K);
    for (auto &report : expert_reports)
      {
        report.iterations = 0;
        report.converged  = false;
      }

    active.assign(K, true);
    shared_rows.clear();
    penalty_matrix.clear();
    coupled_factor.reinit(0, 0);
    galerkin_matrix.clear();
    if (coupled)
      {
        setup_interface_penalty();
        solve_coupled(linear);
      }
    else if (settings.residual_norm ==
             HardConstraintSettings::ResidualNorm::energy)
      solve_galerkin(linear);
    else if (linear)
      solve_linear();
    else
      for (unsigned int iteration = 0;; ++iteration)
        {
          for (unsigned int k = 0; k < K; ++k)
            active[k] = !done[k];
          assemble(true, squared, &factors);
          bool all_done = true;
          for (unsigned int k = 0; k < K; ++k)
            {
              if (done[k])
                continue;
              auto        &report = expert_reports[k];
              const double norm   = std::sqrt(squared[k]);
              bool         retry  = false;
              if (iteration == 0)
                report.initial_residual = norm;
              else
                {
                  // Levenberg-Marquardt with Nielsen's damping update: the
                  // gain is the decrease of ||R||^2 over the decrease the
                  // linear model predicted for the step.
                  const double gain =
                    predicted[k] > 0. ?
                      (previous_residual[k] * previous_residual[k] -
                       norm * norm) /
                        predicted[k] :
                      -1.;
                  if (!accept_step(
                        gain, settings.damping, damping[k], growth[k]))
                    {
                      // The step made the residual larger: go back, damp
                      // more, try again.
                      w[k]  = previous_w[k];
                      retry = true;
                    }
                }
              if (!retry)
                {
                  accepted[k]          = factors[k];
                  previous_residual[k] = norm;
                  history[k].push_back(norm);
                  report.residual   = norm;
                  report.iterations = iteration;
                  // Converged: the residual has (nearly) vanished, or what is
                  // left of it is orthogonal to the range of M (||c|| <=
                  // tolerance ||R||, a least-squares minimum; scale-free), or
                  // R is linear and two Gauss-Newton steps (the solve and
                  // one refinement) have been taken from QR factors.
                  if (norm <= settings.tolerance * report.initial_residual ||
                      reducible(factors[k]) <= settings.tolerance * norm ||
                      (stagnated(history[k], settings.tolerance) &&
                       damping[k] <= settings.damping))
                    {
                      // The factor at the solution, for backward().
                      least_squares_step(
                        accepted[k], 0., k, report.rows, triangular[k]);
                      report.converged = true;
                      done[k]          = true;
                      continue;
                    }
                }
              if (iteration >= settings.max_iterations)
                {
                  done[k] = true;
                  continue;
                }
              const Vector<double> step = least_squares_step(
                accepted[k], damping[k], k, report.rows, triangular[k]);
              // The decrease of ||R||^2 the linear model predicts: ||c||^2 -
              // ||c + R_M step||^2 from the factor [[R_M, c], [0, rho]].
              {
                double before = 0., after = 0.;
                for (unsigned int i = 0; i < N; ++i)
                  {
                    double value = accepted[k](i, N);
                    before += value * value;
                    for (unsigned int j = i; j < N; ++j)
                      value += accepted[k](i, j) * step(j);
                    after += value * value;
                  }
                predicted[k] = before - after;
              }
              previous_w[k] = w[k];
              w[k] += step;
              all_done = false;
            }
          if (all_done)
            break;
        }
    active.assign(K, true);
    // R and M belong to the accepted weights of every expert that
    // converged (its last pass ran at them); forward() throws otherwise.

    std::vector<std::string> failed;
    for (unsigned int k = 0; k < K; ++k)
      if (!expert_reports[k].converged)
        failed.push_back("expert " + std::to_string(k) + " (residual " +
                         format_number(expert_reports[k].residual) + ", from " +
                         format_number(expert_reports[k].initial_residual) +
                         ")");
    AssertThrow(failed.empty(),
                ExcMessage("Hard constraints: " + join(failed, ", ") +
                           " did not converge to the tolerance " +
                           format_number(settings.tolerance) + " in " +
                           std::to_string(settings.max_iterations) +
                           " iterations. Raise 'Maximum iterations' or the "
                           "tolerance, or give the experts fewer rows."));

    // Stitch: each free DoF from the lowest expert reaching it.
    u.reinit(space.locally_owned, space.mpi_communicator);
    double       jump_sum = 0.;
    unsigned int shared   = 0;
    for (const auto i : space.locally_owned)
      if (!constraints.is_constrained(i))
        {
          const auto [low, high]   = experts.experts_of_row(i);
          const unsigned int r     = relevant.index_within_set(i);
          double             value = 0., other = 0.;
          for (unsigned int b = 0; b < N; ++b)
            {
              value += basis[r * N + b] * w[low][b];
              other += basis[r * N + b] * w[high][b];
            }
          u[i] = value;
          if (high != low)
            {
              jump_sum += (value - other) * (value - other);
              ++shared;
            }
        }
    u.compress(VectorOperation::insert);
    constraints.distribute(u);
    jump_sum = Utilities::MPI::sum(jump_sum, space.mpi_communicator);
    shared   = Utilities::MPI::sum(shared, space.mpi_communicator);
    jump     = shared > 0 ? std::sqrt(jump_sum / shared) : 0.;
    valid    = true;
  }


  template <int dim>
  const std::vector<typename HardConstraintLayer<dim>::ExpertReport> &
  HardConstraintLayer<dim>::reports() const
  {
    return expert_reports;
  }


  template <int dim>
  double
  HardConstraintLayer<dim>::max_expert_residual() const
  {
    double largest = 0.;
    for (const auto &r : expert_reports)
      if (r.initial_residual > 0.)
        largest = std::max(largest, r.residual / r.initial_residual);
    return largest;
  }


  template <int dim>
  void
  HardConstraintLayer<dim>::expert_field(
    const unsigned int             k,
    TrilinosWrappers::MPI::Vector &u_k) const
  {
    AssertIndexRange(k, K);
    AssertThrow(valid,
                ExcMessage("Hard constraints: expert_field() needs a "
                           "forward() that succeeded."));
    u_k.reinit(space.locally_owned, space.mpi_communicator);
    for (const auto i : space.locally_owned)
      if (!space.constraints.is_constrained(i))
        {
          const unsigned int r     = space.locally_relevant.index_within_set(i);
          double             value = 0.;
          for (unsigned int b = 0; b < N; ++b)
            value += basis[r * N + b] * w[k][b];
          u_k[i] = value;
        }
    u_k.compress(VectorOperation::insert);
    space.constraints.distribute(u_k);
  }


  template <int dim>
  const std::vector<Vector<double>> &
  HardConstraintLayer<dim>::weights() const
  {
    return w;
  }


  template <int dim>
  double
  HardConstraintLayer<dim>::interface_jump() const
  {
    return jump;
  }


  template class HardConstraintLayer<2>;
  template class HardConstraintLayer<3>;
} // namespace dealii_learned
