#pragma once

#include <deal.II/base/function.h>

#include <dealii-learned/problems/problem.h>

#include <memory>
#include <string>
#include <vector>

namespace dealii_learned
{
  /**
   * The generalized porous medium equation (GPME), u_t = div(k(u) grad u),
   * the conservation law of the ProbConserv benchmarks, in three forms
   * (`Equation`):
   *
   * - heat: k constant (`Diffusivity`, in [1, 5]), periodic on [0, 2 pi]
   *   in x, u(x, 0) = sin x; u = exp(-k t) sin x, whose integral stays 0;
   * - pme: k = u^m (`Exponent` m in [2, 6]), u = 0 at t = 0 on [0, 1] and
   *   the inflow u(0, t) = (m t)^(1/m); the travelling wave
   *   u = (m max(t - x, 0))^(1/m), with integral
   *   m^(1+1/m) t^(1+1/m) / (m + 1);
   * - stefan: k = 1 where u >= u* (`Threshold` u* in [0.1, 0.9]), 0 below,
   *   u = 0 at t = 0 on [0, 1] and u(0, t) = 1; behind the front
   *   x = alpha sqrt(t), u = 1 - (1 - u*) erf(x / (2 sqrt t)) / erf(alpha/2),
   *   and 0 ahead of it, where alpha solves the Stefan condition
   *   (1 - u*) exp(-alpha^2/4) / (sqrt(pi) erf(alpha/2)) = u* alpha / 2;
   *   the integral is 2 c1 sqrt(t / pi) with c1 = (1 - u*) / erf(alpha/2),
   *   the inflow through x = 0.
   *
   * In 1-D this is the paper's setting. In 2-D and 3-D the domain is
   * [0, L] x [0, 1]^(dim-1) and the solution the 1-D one extended as a plane
   * wave (no flux through the other faces), or, for pme with `Solution =
   * barenblatt`, the Barenblatt-Pattle solution on [-1, 1]^dim, radially
   * symmetric, with compact support and constant integral.
   *
   * In 2-D and 3-D the mesh can follow the front: every `Adaptive
   * refinement interval` steps it is refined and coarsened by the Kelly
   * indicators (up to `Maximum refinement level`), and the solution is
   * carried to the new mesh (parallel::distributed::SolutionTransfer).
   *
   * In time: implicit Euler with `Time step` up to `Final time`, one step
   * of the run per time step (step 0 is the initial state). The nonlinear
   * equation of each step, M (u - u_old) / dt + A(k(u)) u = 0 with the
   * lumped mass M and A(k) the stiffness matrix of a cellwise diffusivity,
   * is solved by Newton's method in Kirchhoff form (the default) or by
   * Picard iteration (each iterate solves the SPD system
   * (M / dt + A(k(w))) u = M u_old / dt with k frozen at the last iterate
   * w); both solve SPD systems through the solver hook the run selects (so
   * cg:amg, dcdm, any hook works here), until the change is below
   * `Nonlinear tolerance`. The
   * cell's k is the secant of the Kirchhoff transform over the range of
   * the iterate on the cell (cell_diffusivity()), which makes the fluxes
   * those of u_t = Laplace K(u) and lets degenerate fronts (Stefan, porous
   * medium) move at the right speed.
   */
  template <int dim>
  class GPMEProblem : public Problem<dim>
  {
  public:
    enum class Equation
    {
      heat,
      pme,
      stefan
    };

    explicit GPMEProblem(MPI_Comm mpi_communicator = MPI_COMM_WORLD);

    static void
    declare_parameters(dealii::ParameterHandler &prm);

    void
    parse_parameters(dealii::ParameterHandler &prm) override;

    /** Assembles the Picard system (M/dt + K(k(w))) u = M u_old/dt of the
     *  current iterate w. */
    void
    assemble_system() override;

    unsigned int
    n_steps() const override;

    void
    advance(const unsigned int step, SolverHook &solver) override;

    std::string
    describe_step(const unsigned int step) const override;

    std::vector<std::pair<std::string, double>>
    step_columns(const unsigned int step) const override;

    bool
    is_output_step(const unsigned int step) const override;

    double
    time() const override;

    std::optional<double>
    exact_integral() const override;

    /** With `Conservation target = boundary flux`: flux_integral(time());
     *  else the exact integral. */
    std::optional<double>
    conserved_integral() const override;

    bool
    interpolate_exact_solution(
      dealii::TrilinosWrappers::MPI::Vector &owned) const override;

    std::vector<std::pair<std::string, double>>
    pde_parameters() const override;

    /** The diffusivity k(u). */
    double
    diffusivity(const double u) const;

    /** Its Kirchhoff transform K(u) = int_0^u k(s) ds. */
    double
    kirchhoff(const double u) const;

    /** The diffusivity of a cell whose iterate ranges over [low, high]:
     *  the secant (K(high) - K(low)) / (high - low). */
    double
    cell_diffusivity(const double low, const double high) const;

    /** The exact solution at @p p and time @p t. */
    double
    exact_value(const dealii::Point<dim> &p, const double t) const;

    /** Its integral over the domain at time @p t. */
    double
    exact_integral(const double t) const;

    /** The exact flux q = -k(u) grad u at @p p and time @p t. */
    dealii::Tensor<1, dim>
    exact_flux(const dealii::Point<dim> &p, const double t) const;

    /**
     * The integral at time @p t from the conservation law alone: the
     * initial mass (cell quadrature of the initial condition on the
     * current mesh) plus the time integral of the inflow -q.n over the
     * boundary (face quadrature of exact_flux() on the current mesh's
     * boundary faces, and composite Gauss quadrature in time, graded
     * towards the start, where the inflow of pme and Stefan is singular).
     * Collective.
     */
    double
    flux_integral(const double t) const;

    /** ||u_h - u|| in L2 at time(). */
    double
    l2_error() const;

    /** The integral of the discrete solution. */
    double
    integral() const;

    /** The front's speed constant alpha of the Stefan solution. */
    static double
    stefan_alpha(const double threshold);

  protected:
    void
    make_coarse_grid(ProblemTriangulation<dim> &tria) override;

    void
    make_boundary_constraints(
      dealii::AffineConstraints<double> &constraints) const override;

  private:
    /** The nonlinear solve of the current time step; returns the
     *  iterations it took. */
    unsigned int
    solve_nonlinear(SolverHook &solver);

    /** Picard: k frozen at the last iterate. */
    unsigned int
    solve_picard(SolverHook &solver);

    /** Refines and coarsens by the last indicators (2-D and 3-D), carrying
     *  the solution over. */
    void
    adapt_mesh();

    /** Newton's method in Kirchhoff form (see `Nonlinear solver`). */
    unsigned int
    solve_newton(SolverHook &solver);

    /** K'(u); for the Stefan problem the generalised derivative. */
    double
    kirchhoff_derivative(const double u) const;

    /** Newton's system for theta = K'(u) delta, with the nodes where
     *  K' = 0 (and those of u's constraints) in @p newton_constraints. */
    void
    assemble_newton(const dealii::AffineConstraints<double> &newton_constraints,
                    const dealii::TrilinosWrappers::MPI::Vector &slope,
                    const dealii::TrilinosWrappers::MPI::Vector &kirchhoff_u);

    /** The update of the nodes where K' = 0, from their rows. */
    void
    inactive_update(const dealii::TrilinosWrappers::MPI::Vector &theta,
                    const dealii::TrilinosWrappers::MPI::Vector &kirchhoff_u,
                    const std::vector<bool>                     &inactive,
                    dealii::TrilinosWrappers::MPI::Vector       &delta);

  private:
    Equation equation         = Equation::stefan;
    double   heat_diffusivity = 1.;
    double   exponent         = 2.;
    double   threshold        = 0.6;
    /** stefan_alpha(threshold), computed once when the parameters are
     *  read. */
    double              alpha                    = 0.;
    double              final_time               = 0.1;
    double              time_step                = 1e-3;
    bool                barenblatt               = false;
    bool                flux_target              = false;
    double              nonlinear_tolerance      = 1e-6;
    unsigned int        max_nonlinear_iterations = 100;
    bool                newton                   = true;
    unsigned int        adapt_interval           = 0;
    unsigned int        max_level                = 8;
    std::vector<double> output_times;

    /** The current time, the last step's nonlinear iterations. */
    double       current_time         = 0.;
    unsigned int nonlinear_iterations = 0;
    /** The solution at the last time step (ghosted). */
    dealii::TrilinosWrappers::MPI::Vector old_solution;
  };
} // namespace dealii_learned
