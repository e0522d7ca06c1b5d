#include <deal.II/base/parameter_handler.h>

#include <deal.II/distributed/grid_refinement.h>

#include <deal.II/dofs/dof_renumbering.h>
#include <deal.II/dofs/dof_tools.h>

#include <deal.II/fe/fe_q.h>

#include <deal.II/grid/grid_refinement.h>

#include <deal.II/lac/dynamic_sparsity_pattern.h>
#include <deal.II/lac/sparsity_tools.h>

#include <deal.II/numerics/error_estimator.h>
#include <deal.II/numerics/vector_tools.h>

#include <dealii-learned/base/collective.h>
#include <dealii-learned/base/timer_section.h>
#include <dealii-learned/problems/problem.h>
#include <dealii-learned/solvers/solver_hook.h>

#include <cmath>
#include <functional>
#include <map>

namespace dealii_learned
{
  using namespace dealii;

  template <>
  Registry<Problem<1>> &
  Registry<Problem<1>>::instance()
  {
    static Registry<Problem<1>> registry;
    return registry;
  }

  template <>
  Registry<Problem<2>> &
  Registry<Problem<2>>::instance()
  {
    static Registry<Problem<2>> registry;
    return registry;
  }

  template <>
  Registry<Problem<3>> &
  Registry<Problem<3>>::instance()
  {
    static Registry<Problem<3>> registry;
    return registry;
  }


  template <int dim>
  Problem<dim>::Problem(MPI_Comm mpi_communicator)
    : mpi_communicator(mpi_communicator)
    // No deal.II mesh smoothing: p4est already keeps the mesh 2:1 balanced
    // across faces, edges and vertices, and deal.II's extra smoothing rules
    // act on each rank's part of the mesh, which made the refined mesh
    // depend on the number of ranks.
    , triangulation(mpi_communicator, Triangulation<dim>::none)
    , dof_handler(triangulation)
    , mapping(1)
    , quadrature(2)
  {}


  template <int dim>
  Problem<dim>::~Problem()
  {
    dof_handler.clear();
  }


  template <int dim>
  void
  Problem<dim>::declare_parameters(ParameterHandler &)
  {}


  template <int dim>
  void
  Problem<dim>::parse_parameters(ParameterHandler &)
  {}


  template <int dim>
  void
  Problem<dim>::initialize(const ProblemSettings &new_settings)
  {
    AssertThrow(new_settings.dimension == dim,
                ExcMessage("Problem/Dimension is " +
                           std::to_string(new_settings.dimension) +
                           " but this problem object was built for dim = " +
                           std::to_string(dim) + "."));
    settings   = new_settings;
    fe         = make_finite_element();
    quadrature = QGauss<dim>(settings.fe_degree + 1);
    triangulation.clear();
    make_coarse_grid(triangulation);
    triangulation.refine_global(settings.initial_global_refinement);
  }


  template <int dim>
  std::unique_ptr<FiniteElement<dim>>
  Problem<dim>::make_finite_element() const
  {
    return std::make_unique<FE_Q<dim>>(settings.fe_degree);
  }


  template <int dim>
  void
  Problem<dim>::setup_system()
  {
    dof_handler.distribute_dofs(*fe);
    // Number DoFs in the order of the cells' hierarchy (Z order), which
    // gives the same global numbering on any number of MPI ranks, so that
    // algorithms that follow the index order (the aggregation of the
    // direction network's hierarchy) do the same thing on every partition.
    // (A 1-D shared mesh numbers its DoFs rank by rank, left to right.)
    if constexpr (dim > 1)
      DoFRenumbering::hierarchical(dof_handler);
    owned_dofs = dof_handler.locally_owned_dofs();
    DoFTools::extract_locally_relevant_dofs(dof_handler, relevant_dofs);

    rebuild_constraints();

    DynamicSparsityPattern dsp(relevant_dofs);
    DoFTools::make_sparsity_pattern(dof_handler, dsp, constraints, false);
    SparsityTools::distribute_sparsity_pattern(dsp,
                                               owned_dofs,
                                               mpi_communicator,
                                               relevant_dofs);
    system_matrix.reinit(owned_dofs, owned_dofs, dsp, mpi_communicator);
    system_rhs.reinit(owned_dofs, mpi_communicator);
    solution.reinit(owned_dofs, mpi_communicator);
    locally_relevant_solution.reinit(owned_dofs,
                                     relevant_dofs,
                                     mpi_communicator);
  }


  template <int dim>
  void
  Problem<dim>::rebuild_constraints()
  {
    build_constraints(constraints);
  }


  template <int dim>
  void
  Problem<dim>::build_constraints(
    AffineConstraints<double> &new_constraints) const
  {
    new_constraints.clear();
    new_constraints.reinit(relevant_dofs);
    DoFTools::make_hanging_node_constraints(dof_handler, new_constraints);
    make_boundary_constraints(new_constraints);
    new_constraints.close();
  }


  template <int dim>
  std::optional<double>
  Problem<dim>::exact_integral() const
  {
    return {};
  }


  template <int dim>
  std::optional<double>
  Problem<dim>::conserved_integral() const
  {
    return exact_integral();
  }


  template <int dim>
  bool
  Problem<dim>::interpolate_exact_solution(
    TrilinosWrappers::MPI::Vector &) const
  {
    return false;
  }


  template <int dim>
  std::vector<std::pair<std::string, double>>
  Problem<dim>::pde_parameters() const
  {
    return {};
  }


  template <int dim>
  void
  Problem<dim>::make_boundary_constraints(
    AffineConstraints<double> &boundary_constraints) const
  {
    const Functions::ZeroFunction<dim> zero(fe->n_components());
    for (const auto id : triangulation.get_boundary_ids())
      VectorTools::interpolate_boundary_values(
        mapping, dof_handler, id, zero, boundary_constraints);
  }


  template <int dim>
  void
  Problem<dim>::estimate(Vector<float> &cell_indicators) const
  {
    cell_indicators.reinit(triangulation.n_active_cells());
    KellyErrorEstimator<dim>::estimate(mapping,
                                       dof_handler,
                                       QGauss<dim - 1>(settings.fe_degree + 1),
                                       {},
                                       locally_relevant_solution,
                                       cell_indicators);
  }


  template <int dim>
  void
  Problem<dim>::refine(const Vector<float> &cell_indicators)
  {
    mark_cells(cell_indicators);
    triangulation.execute_coarsening_and_refinement();
    setup_system();
  }


  template <int dim>
  void
  Problem<dim>::mark_cells(const Vector<float> &cell_indicators)
  {
    // The solution, and with it the indicators, differ between partitions
    // in the last bits (reductions sum in another order). Symmetric
    // problems have many cells with equal indicators, and a rounding-level
    // difference decides which of them the threshold splits. Rounding to
    // five significant digits makes the mesh the same on any number of
    // ranks, so that parallel runs reproduce serial ones.
    Vector<float> rounded(cell_indicators);
    for (auto &v : rounded)
      if (v > 0.f)
        {
          const double scale =
            std::pow(10., 4 - std::floor(std::log10(double(v))));
          v = static_cast<float>(std::round(v * scale) / scale);
        }
    if constexpr (dim == 1)
      {
        // Every rank holds the whole mesh and must refine it the same way:
        // the indicators of all cells, each from the rank that owns it.
        Utilities::MPI::sum(rounded, mpi_communicator, rounded);
        GridRefinement::refine_and_coarsen_fixed_number(
          triangulation,
          rounded,
          settings.refinement_fraction,
          settings.coarsening_fraction);
      }
    else
      parallel::distributed::GridRefinement::refine_and_coarsen_fixed_number(
        triangulation,
        rounded,
        settings.refinement_fraction,
        settings.coarsening_fraction);
  }


  template <int dim>
  void
  Problem<dim>::distribute_solution(TrilinosWrappers::MPI::Vector &owned)
  {
    constraints.distribute(owned);
    locally_relevant_solution = owned;
  }


  template <int dim>
  void
  Problem<dim>::solve_and_estimate(SolverHook &solver)
  {
    const SystemStructure structure = system_structure();
    if (!structure.is_scalar())
      solver.set_structure(structure);
    solution = 0.;
    solver.solve(system_matrix, solution, system_rhs);
    TimerSection section(timer, "estimate");
    distribute_solution(solution);
    estimate(indicators);
  }


  template <int dim>
  void
  Problem<dim>::solve_estimate_refine(SolverHook &solver)
  {
    solve_and_estimate(solver);
    refine(indicators);
    assemble_system();
  }


  template <int dim>
  unsigned int
  Problem<dim>::n_steps() const
  {
    return settings.refinement_cycles;
  }


  template <int dim>
  void
  Problem<dim>::advance(const unsigned int step, SolverHook &solver)
  {
    {
      TimerSection section(timer, "setup");
      if (step == 0)
        setup_system();
      else
        refine(indicators);
    }
    {
      TimerSection section(timer, "assemble");
      assemble_system();
    }
    solve_and_estimate(solver);
  }


  template <int dim>
  std::string
  Problem<dim>::describe_step(const unsigned int step) const
  {
    return "Cycle " + std::to_string(step) + ": " +
           std::to_string(triangulation.n_global_active_cells()) + " cells, " +
           std::to_string(dof_handler.n_dofs()) + " DoFs";
  }


  template <int dim>
  std::vector<std::pair<std::string, double>>
  Problem<dim>::step_columns(const unsigned int) const
  {
    return {};
  }


  template <int dim>
  bool
  Problem<dim>::is_output_step(const unsigned int) const
  {
    return true;
  }


  template <int dim>
  double
  Problem<dim>::time() const
  {
    return 0.;
  }


  template <int dim>
  const Vector<float> &
  Problem<dim>::error_indicators() const
  {
    return indicators;
  }


  template <int dim>
  void
  Problem<dim>::set_timer(TimerOutput *new_timer)
  {
    timer = new_timer;
  }


  template <int dim>
  std::vector<std::pair<std::string, Vector<float>>>
  Problem<dim>::cell_data() const
  {
    return {};
  }


  template <int dim>
  SystemStructure
  Problem<dim>::system_structure() const
  {
    return SystemStructure();
  }


  template <int dim>
  MPI_Comm
  Problem<dim>::get_mpi_communicator() const
  {
    return mpi_communicator;
  }

  template <int dim>
  void
  Problem<dim>::set_coefficient_contrast(const double contrast)
  {
    AssertThrow(std::isfinite(contrast) && contrast > 0.,
                dealii::ExcMessage(
                  "Problem::set_coefficient_contrast(): the contrast must be "
                  "positive and finite, not " +
                  std::to_string(contrast) + "."));
    settings.coefficient_contrast = contrast;
  }

  template <int dim>
  const ProblemSettings &
  Problem<dim>::get_settings() const
  {
    return settings;
  }

  template <int dim>
  const ProblemTriangulation<dim> &
  Problem<dim>::get_triangulation() const
  {
    return triangulation;
  }

  template <int dim>
  const DoFHandler<dim> &
  Problem<dim>::get_dof_handler() const
  {
    return dof_handler;
  }

  template <int dim>
  const Mapping<dim> &
  Problem<dim>::get_mapping() const
  {
    return mapping;
  }

  template <int dim>
  const Quadrature<dim> &
  Problem<dim>::get_quadrature() const
  {
    return quadrature;
  }

  template <int dim>
  const AffineConstraints<double> &
  Problem<dim>::get_constraints() const
  {
    return constraints;
  }

  template <int dim>
  const IndexSet &
  Problem<dim>::locally_owned_dofs() const
  {
    return owned_dofs;
  }

  template <int dim>
  const IndexSet &
  Problem<dim>::locally_relevant_dofs() const
  {
    return relevant_dofs;
  }


  namespace ProblemParameters
  {
    namespace
    {
      /** A problem's name, description and parameter declaration, from the
       *  registry of any dimension it is registered for. */
      struct ProblemEntry
      {
        std::string                             description;
        std::vector<unsigned int>               dimensions;
        std::function<void(ParameterHandler &)> declare;
      };


      std::map<std::string, ProblemEntry>
      problems_of_all_dimensions()
      {
        std::map<std::string, ProblemEntry> result;
        const auto add = [&](const auto &registry, const unsigned int dim) {
          for (const auto &name : registry.names())
            {
              auto &entry       = result[name];
              entry.description = registry.get(name).description;
              entry.declare     = registry.get(name).declare_parameters;
              entry.dimensions.push_back(dim);
            }
        };
        add(Registry<Problem<1>>::instance(), 1);
        add(Registry<Problem<2>>::instance(), 2);
        add(Registry<Problem<3>>::instance(), 3);
        return result;
      }
    } // namespace


    void
    declare_parameters(ParameterHandler &prm)
    {
      const auto  problems = problems_of_all_dimensions();
      std::string names, documentation;
      for (const auto &[name, entry] : problems)
        {
          names += (names.empty() ? "" : "|") + name;
          std::string dims;
          for (const unsigned int d : entry.dimensions)
            dims += (dims.empty() ? "" : ", ") + std::to_string(d);
          documentation +=
            "\n\n`" + name + "' (" + dims + "-D): " + entry.description;
        }
      prm.enter_subsection("Problem");
      {
        prm.declare_entry("Name",
                          "jump-coefficient",
                          Patterns::Selection(names),
                          "The built-in problem to solve. Registered "
                          "problems:" +
                            documentation);
        prm.declare_entry("Dimension",
                          "2",
                          Patterns::Integer(1, 3),
                          "Space dimension: 1, 2 or 3 (not every problem "
                          "has all three).");
        prm.declare_entry("Refinement cycles",
                          "6",
                          Patterns::Integer(1, 100),
                          "Number of solve-estimate-refine cycles; the "
                          "first solves on the initial mesh.");
        prm.declare_entry("Initial global refinement",
                          "4",
                          Patterns::Integer(0, 20),
                          "Global refinements of the coarse mesh before "
                          "the first cycle.");
        prm.declare_entry("Finite element degree",
                          "1",
                          Patterns::Integer(1, 4),
                          "Polynomial degree of the continuous Lagrange "
                          "element FE_Q (1 = Q1, 2 = Q2, ...); of each "
                          "component's FE_Q in a system of PDEs "
                          "(elasticity: Q1 or Q2).");
        prm.declare_entry("Coefficient contrast",
                          "100",
                          Patterns::Double(1e-12),
                          "Ratio of the largest to the smallest diffusion "
                          "coefficient in problems with a jumping "
                          "coefficient (elasticity: the factor on both "
                          "Lame parameters in the stiff orthants).");
        prm.declare_entry("Refinement fraction",
                          "0.3",
                          Patterns::Double(0., 1.),
                          "Fraction of cells with the largest error "
                          "indicators refined each cycle.");
        prm.declare_entry("Coarsening fraction",
                          "0.03",
                          Patterns::Double(0., 1.),
                          "Fraction of cells with the smallest error "
                          "indicators coarsened each cycle.");
        for (const auto &[name, entry] : problems)
          declare_component_subsection(prm, name, entry.declare);
      }
      prm.leave_subsection();
    }


    ProblemSettings
    parse(ParameterHandler &prm)
    {
      ProblemSettings s;
      prm.enter_subsection("Problem");
      s.name              = prm.get("Name");
      s.dimension         = prm.get_integer("Dimension");
      s.refinement_cycles = prm.get_integer("Refinement cycles");
      s.initial_global_refinement =
        prm.get_integer("Initial global refinement");
      s.fe_degree            = prm.get_integer("Finite element degree");
      s.coefficient_contrast = prm.get_double("Coefficient contrast");
      s.refinement_fraction  = prm.get_double("Refinement fraction");
      s.coarsening_fraction  = prm.get_double("Coarsening fraction");
      prm.leave_subsection();
      AssertThrow(s.refinement_fraction + s.coarsening_fraction <= 1.,
                  ExcMessage("Problem/Refinement fraction + Problem/"
                             "Coarsening fraction must not exceed 1."));
      return s;
    }


    template <int dim>
    std::unique_ptr<Problem<dim>>
    create(const ProblemSettings &settings,
           ParameterHandler      &prm,
           MPI_Comm               mpi_communicator)
    {
      // Creating the problem and reading its parameters is local and may
      // fail on some ranks only (a mesh file one rank cannot read): decided
      // together. Building the mesh is collective (p4est): a failure on
      // some ranks only ends the job.
      AssertThrow(
        Registry<Problem<dim>>::instance().contains(settings.name),
        ExcMessage(
          "The problem '" + settings.name + "' has no " + std::to_string(dim) +
          "-D version. Problems in " + std::to_string(dim) + "-D: " +
          Registry<Problem<dim>>::instance().selection_pattern() + "."));
      std::unique_ptr<Problem<dim>> problem;
      decide_collectively(mpi_communicator, [&]() {
        problem = Registry<Problem<dim>>::instance().create_configured(
          settings.name, prm, "Problem", mpi_communicator);
      });
      abort_on_lone_failure(mpi_communicator,
                            "Problem '" + settings.name + "' (mesh)",
                            [&]() { problem->initialize(settings); });
      return problem;
    }

    template std::unique_ptr<Problem<1>>
    create<1>(const ProblemSettings &, ParameterHandler &, MPI_Comm);
    template std::unique_ptr<Problem<2>>
    create<2>(const ProblemSettings &, ParameterHandler &, MPI_Comm);
    template std::unique_ptr<Problem<3>>
    create<3>(const ProblemSettings &, ParameterHandler &, MPI_Comm);
  } // namespace ProblemParameters

  template class Problem<1>;
  template class Problem<2>;
  template class Problem<3>;
} // namespace dealii_learned
