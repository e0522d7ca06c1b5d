#pragma once

#include <deal.II/base/index_set.h>
#include <deal.II/base/mpi.h>
#include <deal.II/base/quadrature_lib.h>

#include <deal.II/distributed/shared_tria.h>
#include <deal.II/distributed/tria.h>

#include <deal.II/dofs/dof_handler.h>

#include <deal.II/fe/fe.h>
#include <deal.II/fe/mapping_q.h>

#include <deal.II/lac/affine_constraints.h>
#include <deal.II/lac/trilinos_sparse_matrix.h>
#include <deal.II/lac/trilinos_vector.h>
#include <deal.II/lac/vector.h>

#include <dealii-learned/base/registry.h>
#include <dealii-learned/base/system_structure.h>

#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

DEAL_II_NAMESPACE_OPEN
class TimerOutput;
DEAL_II_NAMESPACE_CLOSE

namespace dealii_learned
{
  class SolverHook;

  /**
   * The mesh of a problem in @p dim dimensions: p4est's distributed
   * triangulation in 2-D and 3-D; p4est has no 1-D, so there a shared
   * triangulation (every rank stores the whole mesh and owns a part of it),
   * which runs serial and under MPI alike.
   */
  template <int dim>
  struct TriangulationFor
  {
    using type = dealii::parallel::distributed::Triangulation<dim>;
  };

  template <>
  struct TriangulationFor<1>
  {
    using type = dealii::parallel::shared::Triangulation<1>;
  };

  template <int dim>
  using ProblemTriangulation = typename TriangulationFor<dim>::type;


  /** The entries of `subsection Problem` that every problem understands. */
  struct ProblemSettings
  {
    std::string  name                      = "jump-coefficient";
    unsigned int dimension                 = 2;
    unsigned int refinement_cycles         = 6;
    unsigned int initial_global_refinement = 4;
    unsigned int fe_degree                 = 1;
    double       coefficient_contrast      = 100.;
    double       refinement_fraction       = 0.3;
    double       coarsening_fraction       = 0.03;
  };


  /**
   * A built-in PDE problem on a parallel::distributed::Triangulation: the
   * mesh, the finite element space with hanging-node and boundary
   * constraints, and the assembled Trilinos system. The driver, the
   * examples and the benchmarks all take their linear systems from here,
   * so every method is compared on exactly the same matrices.
   *
   * A derived class says what is specific to its PDE: the coarse mesh, the
   * boundary conditions and the assembly, and, for a system of PDEs, the
   * finite element (make_finite_element()) and what the solvers may know
   * about the system (system_structure()). The base class does what every
   * continuous-Galerkin problem shares, the way step-40 does it: distribute
   * DoFs, build constraints and the sparsity pattern, refine with an error
   * indicator, and keep ghosted copies of the solution.
   */
  template <int dim>
  class Problem
  {
  public:
    explicit Problem(MPI_Comm mpi_communicator = MPI_COMM_WORLD);
    virtual ~Problem();

    /** Problem-specific parameters, in `subsection Problem/<name>`. */
    static void
    declare_parameters(dealii::ParameterHandler &prm);

    virtual void
    parse_parameters(dealii::ParameterHandler &prm);

    /** Creates the finite element and the initial mesh. */
    void
    initialize(const ProblemSettings &settings);

    /** Distributes DoFs, builds constraints, sparsity, matrix and vectors. */
    void
    setup_system();

    /** Assembles system_matrix and system_rhs with constraints applied. */
    virtual void
    assemble_system() = 0;

    /**
     * Sets the coefficient contrast the next assemble_system() uses, on
     * the same mesh and sparsity pattern: a parameter sweep or a sequence
     * of repeated solves. @p contrast must be positive and finite.
     */
    void
    set_coefficient_contrast(const double contrast);

    /**
     * Error indicators per active cell (zero on cells not owned), from the
     * locally relevant solution. Default: the Kelly estimator.
     */
    virtual void
    estimate(dealii::Vector<float> &cell_indicators) const;

    /**
     * Refines and coarsens by fixed fractions of cells with the largest and
     * smallest indicators (p::d::GridRefinement), then calls setup_system().
     */
    void
    refine(const dealii::Vector<float> &cell_indicators);

    /**
     * Applies the constraints to @p owned_solution (hanging nodes, boundary
     * values) and copies it into the ghosted locally_relevant_solution.
     */
    void
    distribute_solution(dealii::TrilinosWrappers::MPI::Vector &owned_solution);

    /**
     * One step of the usual adaptive loop: solves the current system with
     * @p solver from a zero start (NoConvergence propagates), applies the
     * constraints, estimates, refines and assembles the new system.
     */
    void
    solve_estimate_refine(SolverHook &solver);

    /**
     * @name The run: what the driver calls, step after step
     *
     * The driver knows steps, not refinement cycles or time steps: it calls
     * advance() n_steps() times, runs the postprocessors after the steps
     * for which is_output_step() holds, and adds step_columns() to the
     * summary. A stationary problem (the default here) takes one step per
     * refinement cycle; a time-dependent problem overrides these functions
     * to take one step per time step, solving with the hook as often as
     * its nonlinear iteration needs.
     */
    /** @{ */

    /** Steps of the run. Default: `Refinement cycles`. */
    virtual unsigned int
    n_steps() const;

    /**
     * Step @p step of the run. Default: the first step sets the system up,
     * later ones refine the mesh by the last step's error indicators; then
     * the system is assembled, solved with @p solver from a zero start,
     * its constraints applied, and the error estimated.
     */
    virtual void
    advance(const unsigned int step, SolverHook &solver);

    /** One line on screen for the step just taken. Default: "Cycle k: N
     *  cells, M DoFs". */
    virtual std::string
    describe_step(const unsigned int step) const;

    /** Summary columns of the step besides cycle, n_cells and n_dofs (a
     *  time-dependent problem adds its time). Default: none. */
    virtual std::vector<std::pair<std::string, double>>
    step_columns(const unsigned int step) const;

    /** Whether the postprocessors run after step @p step. Default: always. */
    virtual bool
    is_output_step(const unsigned int step) const;

    /** Physical time reached (0 for a stationary problem). */
    virtual double
    time() const;

    /** The error indicators of the last advance() (per active cell). */
    const dealii::Vector<float> &
    error_indicators() const;

    /** Where advance() times its phases (setup, assemble, estimate);
     *  none if null. */
    void
    set_timer(dealii::TimerOutput *timer);

    /** @} */

    /**
     * @name What a problem knows about its exact solution
     *
     * For postprocessors that compare or correct a field (prob-conserv):
     * defaults say "unknown".
     */
    /** @{ */

    /** The integral of the exact solution over the domain at time(), if
     *  the problem knows it (a conserved quantity). */
    virtual std::optional<double>
    exact_integral() const;

    /**
     * The integral the conservation law gives at time(): what prob-conserv
     * enforces. By default exact_integral(); a problem may compute it from
     * the initial mass plus the time integral of its boundary flux and
     * sources instead (gpme's `Conservation target`).
     */
    virtual std::optional<double>
    conserved_integral() const;

    /** Interpolates the exact solution at time() into @p owned (locally
     *  owned layout of the solution); false if there is none. */
    virtual bool
    interpolate_exact_solution(
      dealii::TrilinosWrappers::MPI::Vector &owned) const;

    /** The PDE's parameters by name (a diffusivity, an exponent), for
     *  models that take them as inputs. */
    virtual std::vector<std::pair<std::string, double>>
    pde_parameters() const;

    /** @} */

    /** Cell-wise fields worth looking at in output (e.g. the coefficient). */
    virtual std::vector<std::pair<std::string, dealii::Vector<float>>>
    cell_data() const;

    /**
     * What the solvers may know about the current system beyond the matrix
     * (components per support point, a near-null space; see
     * SystemStructure), for the locally owned DoFs of the current mesh.
     * solve_and_estimate() hands it to the solver hook when it is not
     * scalar. Default: a scalar system (SystemStructure()).
     */
    virtual SystemStructure
    system_structure() const;

    MPI_Comm
    get_mpi_communicator() const;
    const ProblemSettings &
    get_settings() const;
    const ProblemTriangulation<dim> &
    get_triangulation() const;
    const dealii::DoFHandler<dim> &
    get_dof_handler() const;
    const dealii::Mapping<dim> &
    get_mapping() const;
    const dealii::Quadrature<dim> &
    get_quadrature() const;
    const dealii::AffineConstraints<double> &
    get_constraints() const;
    const dealii::IndexSet &
    locally_owned_dofs() const;
    const dealii::IndexSet &
    locally_relevant_dofs() const;

    dealii::TrilinosWrappers::SparseMatrix system_matrix;
    dealii::TrilinosWrappers::MPI::Vector  system_rhs;
    /** Locally owned solution vector: where solvers write. */
    dealii::TrilinosWrappers::MPI::Vector solution;
    /** Ghosted copy after distribute_solution(), for evaluation. */
    dealii::TrilinosWrappers::MPI::Vector locally_relevant_solution;

  protected:
    /**
     * The finite element, created by initialize() once the settings are
     * known. Default: FE_Q of degree `Finite element degree`; a system of
     * PDEs returns an FESystem.
     */
    virtual std::unique_ptr<dealii::FiniteElement<dim>>
    make_finite_element() const;

    /** Creates the coarse mesh, before the initial global refinement. */
    virtual void
    make_coarse_grid(ProblemTriangulation<dim> &tria) = 0;

    /**
     * Adds the boundary constraints to @p constraints (already holding the
     * hanging-node constraints). Default: homogeneous Dirichlet values on
     * the whole boundary.
     */
    virtual void
    make_boundary_constraints(
      dealii::AffineConstraints<double> &constraints) const;

    MPI_Comm                                    mpi_communicator;
    ProblemSettings                             settings;
    ProblemTriangulation<dim>                   triangulation;
    std::unique_ptr<dealii::FiniteElement<dim>> fe;
    dealii::DoFHandler<dim>                     dof_handler;
    dealii::MappingQ<dim>                       mapping;
    dealii::QGauss<dim>                         quadrature;
    dealii::AffineConstraints<double>           constraints;
    dealii::IndexSet                            owned_dofs;
    dealii::IndexSet                            relevant_dofs;
    /** Solves the assembled system with @p solver from a zero start (after
     *  giving it system_structure() unless that is scalar), applies the
     *  constraints, and estimates the error into indicators. */
    void
    solve_and_estimate(SolverHook &solver);

    /** Builds the hanging-node and boundary constraints anew (boundary
     *  values that change in time), on the current DoFs. */
    void
    rebuild_constraints();

    /** Flags the cells refine() refines and coarsens (fixed fractions of
     *  the indicators, rounded so that every partition flags the same). */
    void
    mark_cells(const dealii::Vector<float> &cell_indicators);

    /** Hanging-node and boundary constraints of the current DoFs, into
     *  @p new_constraints. */
    void
    build_constraints(dealii::AffineConstraints<double> &new_constraints) const;

    /** Filled by advance(); refine() of the next step uses it. */
    dealii::Vector<float> indicators;
    /** See set_timer(). */
    dealii::TimerOutput *timer = nullptr;
  };


  /**
   * The `subsection Problem` parameters: declaration (including the
   * subsections of every registered problem) and reading.
   */
  namespace ProblemParameters
  {
    void
    declare_parameters(dealii::ParameterHandler &prm);

    ProblemSettings
    parse(dealii::ParameterHandler &prm);

    /**
     * Creates the problem named in @p settings for dimension `dim`, lets it
     * read its subsection and initializes it (mesh and element).
     *
     * The problem's mesh and vectors live on @p mpi_communicator.
     */
    template <int dim>
    std::unique_ptr<Problem<dim>>
    create(const ProblemSettings    &settings,
           dealii::ParameterHandler &prm,
           MPI_Comm                  mpi_communicator = MPI_COMM_WORLD);
  } // namespace ProblemParameters

  /** Problems are constructed on an MPI communicator. */
  template <int dim>
  struct ConstructorArguments<Problem<dim>>
  {
    using type = std::tuple<MPI_Comm>;
  };

  template <>
  Registry<Problem<1>> &
  Registry<Problem<1>>::instance();
  template <>
  Registry<Problem<2>> &
  Registry<Problem<2>>::instance();
  template <>
  Registry<Problem<3>> &
  Registry<Problem<3>>::instance();
} // namespace dealii_learned

/**
 * Registers a problem class template (instantiated for dim = 2 and 3) under
 * a name, with a description. DEALII_LEARNED_REGISTER_PROBLEM_1D_2D_3D
 * registers dim = 1 too.
 */
#define DEALII_LEARNED_REGISTER_PROBLEM(ClassTemplate, name, description)    \
  namespace                                                                  \
  {                                                                          \
    const ::dealii_learned::RegistrationHelper<::dealii_learned::Problem<2>, \
                                               ClassTemplate<2>>             \
      DEALII_LEARNED_CONCAT(dealii_learned_problem_2d_,                      \
                            __LINE__)(name, description);                    \
    const ::dealii_learned::RegistrationHelper<::dealii_learned::Problem<3>, \
                                               ClassTemplate<3>>             \
      DEALII_LEARNED_CONCAT(dealii_learned_problem_3d_,                      \
                            __LINE__)(name, description);                    \
  }

#define DEALII_LEARNED_REGISTER_PROBLEM_1D_2D_3D(ClassTemplate,              \
                                                 name,                       \
                                                 description)                \
  DEALII_LEARNED_REGISTER_PROBLEM(ClassTemplate, name, description)          \
  namespace                                                                  \
  {                                                                          \
    const ::dealii_learned::RegistrationHelper<::dealii_learned::Problem<1>, \
                                               ClassTemplate<1>>             \
      DEALII_LEARNED_CONCAT(dealii_learned_problem_1d_,                      \
                            __LINE__)(name, description);                    \
  }
