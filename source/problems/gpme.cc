#include <deal.II/base/function.h>
#include <deal.II/base/parameter_handler.h>
#include <deal.II/base/quadrature_lib.h>
#include <deal.II/base/utilities.h>

#include <deal.II/distributed/solution_transfer.h>

#include <deal.II/dofs/dof_tools.h>

#include <deal.II/fe/fe_values.h>

#include <deal.II/grid/grid_generator.h>
#include <deal.II/grid/grid_tools.h>

#include <deal.II/lac/trilinos_vector.h>

#include <deal.II/numerics/vector_tools.h>

#include <dealii-learned/base/timer_section.h>
#include <dealii-learned/base/utilities.h>
#include <dealii-learned/problems/gpme.h>
#include <dealii-learned/solvers/solver_hook.h>

#include <cmath>
#include <sstream>

namespace dealii_learned
{
  using namespace dealii;

  namespace
  {
    /** The Barenblatt-Pattle solution of u_t = div(u^m grad u) in dim
     *  dimensions: with q = m + 1 and tau = t / q it is that of
     *  v_tau = Laplace(v^q), tau^-a (C - kappa |x|^2 tau^-2b)_+^(1/(q-1)),
     *  a = d / (d (q-1) + 2), b = a / d, kappa = a (q-1) / (2 d q). */
    struct Barenblatt
    {
      Barenblatt(const double m, const unsigned int d, const double t_end)
        : q(m + 1.)
        , a(d / (d * (q - 1.) + 2.))
        , b(a / d)
        , kappa(a * (q - 1.) / (2. * d * q))
        , d(d)
      {
        // Support radius sqrt(C / kappa) tau^b: 0.8 at the final time.
        C = kappa * std::pow(0.8 / std::pow(t_end / q, b), 2);
      }

      double
      value(const double r, const double t) const
      {
        const double tau = t / q;
        const double s   = C - kappa * r * r * std::pow(tau, -2. * b);
        return s > 0. ? std::pow(tau, -a) * std::pow(s, 1. / (q - 1.)) : 0.;
      }

      /** The integral over R^d, the same at every time:
       *  pi^(d/2) C^(p + d/2) kappa^(-d/2) Gamma(p+1) / Gamma(p+1+d/2),
       *  p = 1/(q-1). */
      double
      integral() const
      {
        const double p  = 1. / (q - 1.);
        const double hd = 0.5 * d;
        return std::pow(M_PI, hd) * std::pow(C, p + hd) * std::pow(kappa, -hd) *
               std::tgamma(p + 1.) / std::tgamma(p + 1. + hd);
      }

      const double       q, a, b, kappa;
      const unsigned int d;
      double             C = 1.;
    };

    /** Barenblatt runs start at this time (the solution at t = 0 is a Dirac
     *  mass). */
    constexpr double barenblatt_start = 0.1;
  } // namespace


  template <int dim>
  GPMEProblem<dim>::GPMEProblem(MPI_Comm mpi_communicator)
    : Problem<dim>(mpi_communicator)
  {}


  template <int dim>
  void
  GPMEProblem<dim>::declare_parameters(ParameterHandler &prm)
  {
    prm.declare_entry("Equation",
                      "stefan",
                      Patterns::Selection("heat|pme|stefan"),
                      "heat: k constant, periodic, u0 = sin x; pme: k = u^m, "
                      "inflow (m t)^(1/m) at x = 0; stefan: k = 1 where u >= "
                      "u*, 0 below, u = 1 at x = 0.");
    prm.declare_entry("Diffusivity",
                      "1",
                      Patterns::Double(1., 5.),
                      "k of the heat equation, in [1, 5].");
    prm.declare_entry("Exponent",
                      "2",
                      Patterns::Double(2., 6.),
                      "m of the porous medium equation (k = u^m), in [2, 6].");
    prm.declare_entry("Threshold",
                      "0.6",
                      Patterns::Double(0.1, 0.9),
                      "u* of the Stefan problem (k = 1 where u >= u*), in "
                      "[0.1, 0.9].");
    prm.declare_entry("Solution",
                      "plane-wave",
                      Patterns::Selection("plane-wave|barenblatt"),
                      "In 2-D and 3-D: the 1-D solution extended in y (and "
                      "z), or, for pme, the Barenblatt solution (radial, "
                      "constant integral, started at t = 0.1).");
    prm.declare_entry("Conservation target",
                      "exact integral",
                      Patterns::Selection("exact integral|boundary flux"),
                      "The integral prob-conserv enforces at an output "
                      "time. exact integral: the exact solution's; "
                      "boundary flux: the initial mass plus the time "
                      "integral of the exact flux through the boundary, "
                      "by face quadrature on the mesh (what a problem "
                      "without a closed-form mass would use).");
    prm.declare_entry("Final time",
                      "0.1",
                      Patterns::Double(0.),
                      "End of the time interval (after the start: 0, or "
                      "0.1 for the Barenblatt solution); a multiple of the "
                      "time step.");
    prm.declare_entry("Time step",
                      "0.001",
                      Patterns::Double(0.),
                      "Implicit Euler step.");
    prm.declare_entry("Output times",
                      "",
                      Patterns::List(Patterns::Double(0.)),
                      "Times (from the start) after which the "
                      "postprocessors run, besides the final time; the "
                      "nearest time step is taken.");
    prm.declare_entry(
      "Nonlinear solver",
      "newton",
      Patterns::Selection("newton|picard"),
      "Both solve SPD systems through the solver hook. newton: Newton's "
      "method on M (u - u_old)/dt + A K(u) = 0 (K(u) = int_0^u k, nodal), "
      "written for theta = K'(u) delta so that each step solves the SPD "
      "system (M / (dt K'(u)) + A) theta = -F on the nodes where K'(u) > 0 "
      "(the others follow from their row); quadratic for heat and pme, a "
      "few steps for the Stefan problem's switching k. picard: k frozen at "
      "the last iterate, cell by cell (the secant of K over the cell), "
      "which may cycle for the Stefan problem.");
    prm.declare_entry("Adaptive refinement interval",
                      "0",
                      Patterns::Integer(0),
                      "In 2-D and 3-D: every this many time steps the mesh "
                      "is refined and coarsened by the Kelly indicators "
                      "(fractions Problem/Refinement fraction and "
                      "Coarsening fraction), so that it follows the front, "
                      "and the solution is carried over; 0: a fixed mesh.");
    prm.declare_entry("Maximum refinement level",
                      "8",
                      Patterns::Integer(0, 30),
                      "Adaptive refinement stops at this many refinements of "
                      "the coarse mesh.");
    prm.declare_entry("Nonlinear tolerance",
                      "1e-6",
                      Patterns::Double(0.),
                      "Newton and Picard stop when ||u_k - u_(k-1)|| <= "
                      "tolerance ||u_k||. Keep it above the linear solver's "
                      "accuracy.");
    prm.declare_entry("Maximum nonlinear iterations",
                      "100",
                      Patterns::Integer(1),
                      "Newton or Picard iterations per time step before the "
                      "run stops with an error.");
  }


  template <int dim>
  void
  GPMEProblem<dim>::parse_parameters(ParameterHandler &prm)
  {
    const std::string name = prm.get("Equation");
    equation               = name == "heat" ? Equation::heat :
                             name == "pme"  ? Equation::pme :
                                              Equation::stefan;
    heat_diffusivity       = prm.get_double("Diffusivity");
    exponent               = prm.get_double("Exponent");
    threshold              = prm.get_double("Threshold");
    alpha                  = stefan_alpha(threshold);
    barenblatt             = prm.get("Solution") == "barenblatt";
    flux_target            = prm.get("Conservation target") == "boundary flux";
    final_time             = prm.get_double("Final time");
    time_step              = prm.get_double("Time step");
    nonlinear_tolerance    = prm.get_double("Nonlinear tolerance");
    newton                 = prm.get("Nonlinear solver") == "newton";
    adapt_interval         = prm.get_integer("Adaptive refinement interval");
    max_level              = prm.get_integer("Maximum refinement level");
    AssertThrow(adapt_interval == 0 || dim > 1,
                ExcMessage("Problem/gpme: adaptive refinement is for 2-D and "
                           "3-D (the 1-D mesh is shared by all ranks); set "
                           "'Adaptive refinement interval' = 0 in 1-D."));
    max_nonlinear_iterations = prm.get_integer("Maximum nonlinear iterations");
    output_times.clear();
    for (const auto &t : Utilities::split_string_list(prm.get("Output times")))
      output_times.push_back(Utilities::string_to_double(t));

    AssertThrow(time_step > 0. && final_time > 0.,
                ExcMessage("Problem/gpme: 'Final time' and 'Time step' must "
                           "be positive."));
    const double n = final_time / time_step;
    AssertThrow(std::abs(n - std::round(n)) < 1e-6 * n,
                ExcMessage("Problem/gpme: 'Final time' (" +
                           format_number(final_time) +
                           ") is not a multiple of 'Time step' (" +
                           format_number(time_step) + ")."));
    AssertThrow(!barenblatt || (equation == Equation::pme && dim > 1),
                ExcMessage("Problem/gpme: 'Solution = barenblatt' is the "
                           "porous medium equation's (Equation = pme) in 2-D "
                           "or 3-D."));
    for (const double t : output_times)
      AssertThrow(t <= final_time + 1e-12,
                  ExcMessage("Problem/gpme: output time " + format_number(t) +
                             " is after the final time " +
                             format_number(final_time) + "."));
  }


  template <int dim>
  double
  GPMEProblem<dim>::stefan_alpha(const double u_star)
  {
    // f(alpha) = (1 - u*) exp(-alpha^2/4) / (sqrt(pi) erf(alpha/2))
    //            - u* alpha / 2 falls from +inf to -inf: bisection.
    const auto f = [u_star](const double alpha) {
      return (1. - u_star) * std::exp(-alpha * alpha / 4.) /
               (std::sqrt(M_PI) * std::erf(alpha / 2.)) -
             u_star * alpha / 2.;
    };
    double lo = 1e-12, hi = 50.;
    for (unsigned int k = 0; k < 200; ++k)
      {
        const double mid        = 0.5 * (lo + hi);
        (f(mid) > 0. ? lo : hi) = mid;
      }
    return 0.5 * (lo + hi);
  }


  template <int dim>
  double
  GPMEProblem<dim>::diffusivity(const double u) const
  {
    switch (equation)
      {
        case Equation::heat:
          return heat_diffusivity;
        case Equation::pme:
          return std::pow(std::max(u, 0.), exponent);
        default:
          return u >= threshold ? 1. : 0.;
      }
  }


  template <int dim>
  double
  GPMEProblem<dim>::exact_value(const Point<dim> &p, const double t) const
  {
    const double x = p[0];
    switch (equation)
      {
        case Equation::heat:
          return std::exp(-heat_diffusivity * t) * std::sin(x);
        case Equation::pme:
          if (barenblatt)
            return Barenblatt(exponent, dim, barenblatt_start + final_time)
              .value(p.norm(), t);
          return std::pow(exponent * std::max(t - x, 0.), 1. / exponent);
        default:
          {
            if (t <= 0.)
              return x <= 0. ? 1. : 0.;

            const double front = alpha * std::sqrt(t);
            return x < front ?
                     1. - (1. - threshold) * std::erf(x / (2. * std::sqrt(t))) /
                            std::erf(alpha / 2.) :
                     0.;
          }
      }
  }


  template <int dim>
  double
  GPMEProblem<dim>::exact_integral(const double t) const
  {
    // The domain's extent across x is 1 (plane waves), so the integral of
    // the 1-D solution is the integral over the domain.
    switch (equation)
      {
        case Equation::heat:
          return 0.;
        case Equation::pme:
          if (barenblatt)
            return Barenblatt(exponent, dim, barenblatt_start + final_time)
              .integral();
          return std::pow(exponent, 1. + 1. / exponent) *
                 std::pow(t, 1. + 1. / exponent) / (exponent + 1.);
        default:
          {
            const double c1 = (1. - threshold) / std::erf(alpha / 2.);
            return 2. * c1 * std::sqrt(t / M_PI);
          }
      }
  }


  template <int dim>
  Tensor<1, dim>
  GPMEProblem<dim>::exact_flux(const Point<dim> &p, const double t) const
  {
    Tensor<1, dim> q;
    const double   x = p[0];
    switch (equation)
      {
        case Equation::heat:
          // u = exp(-k t) sin x: q = -k u_x.
          q[0] =
            -heat_diffusivity * std::exp(-heat_diffusivity * t) * std::cos(x);
          break;
        case Equation::pme:
          if (barenblatt)
            {
              // u = tau^-a s^(1/m), s = C - kappa r^2 tau^-2b: q = -u^m
              // grad u = u^m tau^-a (1/m) s^(1/m - 1) 2 kappa tau^-2b x.
              const Barenblatt solution(exponent,
                                        dim,
                                        barenblatt_start + final_time);
              const double     tau = t / solution.q;
              const double s = solution.C - solution.kappa * p.norm_square() *
                                              std::pow(tau, -2. * solution.b);
              if (s > 0.)
                {
                  const double u = solution.value(p.norm(), t);
                  q = std::pow(u, exponent) * std::pow(tau, -solution.a) /
                      exponent * std::pow(s, 1. / exponent - 1.) * 2. *
                      solution.kappa * std::pow(tau, -2. * solution.b) *
                      Tensor<1, dim>(p);
                }
            }
          else
            // u = (m (t - x))^(1/m): -u^m u_x = (m (t - x))^(1/m) = u.
            q[0] = exact_value(p, t);
          break;
        default:
          if (t > 0. && x < alpha * std::sqrt(t))
            // k = 1 behind the front: q = -u_x.
            q[0] = (1. - threshold) / std::erf(alpha / 2.) *
                   std::exp(-x * x / (4. * t)) / std::sqrt(M_PI * t);
          break;
      }
    return q;
  }


  template <int dim>
  double
  GPMEProblem<dim>::flux_integral(const double t) const
  {
    const double t0          = barenblatt ? barenblatt_start : 0.;
    const auto  &dof_handler = this->get_dof_handler();
    const auto  &mapping     = this->get_mapping();
    const auto  &fe          = dof_handler.get_fe();

    // The initial mass, with a quadrature fine enough for the kink at the
    // edge of a compact support.
    const QIterated<dim> cell_quadrature(QGauss<1>(4), 4);
    FEValues<dim>        fe_values(mapping,
                            fe,
                            cell_quadrature,
                            update_quadrature_points | update_JxW_values);
    double               mass = 0.;
    for (const auto &cell : dof_handler.active_cell_iterators())
      if (cell->is_locally_owned())
        {
          fe_values.reinit(cell);
          for (unsigned int q = 0; q < cell_quadrature.size(); ++q)
            mass +=
              exact_value(fe_values.quadrature_point(q), t0) * fe_values.JxW(q);
        }

    // The inflow at time s: -int q.n over the boundary faces.
    const QGauss<dim - 1> face_quadrature(fe.degree + 2);
    FEFaceValues<dim>     fe_face_values(mapping,
                                     fe,
                                     face_quadrature,
                                     update_quadrature_points |
                                       update_JxW_values |
                                       update_normal_vectors);
    std::vector<std::pair<Point<dim>, Tensor<1, dim>>> boundary; // x, n dS
    for (const auto &cell : dof_handler.active_cell_iterators())
      if (cell->is_locally_owned())
        for (const auto f : cell->face_indices())
          if (cell->at_boundary(f))
            {
              fe_face_values.reinit(cell, f);
              for (unsigned int q = 0; q < face_quadrature.size(); ++q)
                boundary.emplace_back(fe_face_values.quadrature_point(q),
                                      fe_face_values.JxW(q) *
                                        fe_face_values.normal_vector(q));
            }
    const auto inflow = [&](const double s) {
      double sum = 0.;
      for (const auto &[x, n_dS] : boundary)
        sum -= exact_flux(x, s) * n_dS;
      return sum;
    };

    // In time: Gauss on [t0 + (t - t0) 2^-(k+1), t0 + (t - t0) 2^-k],
    // k = 0..59, and on the rest: the inflow of pme (~ s^(1/m)) and Stefan
    // (~ s^(-1/2)) is singular at the start.
    const QGauss<1>    gauss(10);
    const unsigned int pieces          = 60;
    double             inflow_integral = 0.;
    double             upper           = t - t0;
    for (unsigned int k = 0; k <= pieces && upper > 0.; ++k)
      {
        const double lower = k < pieces ? 0.5 * upper : 0.;
        for (unsigned int q = 0; q < gauss.size(); ++q)
          inflow_integral +=
            (upper - lower) * gauss.weight(q) *
            inflow(t0 + lower + (upper - lower) * gauss.point(q)[0]);
        upper = lower;
      }
    return Utilities::MPI::sum(mass + inflow_integral,
                               this->get_mpi_communicator());
  }


  template <int dim>
  void
  GPMEProblem<dim>::make_coarse_grid(ProblemTriangulation<dim> &tria)
  {
    if (barenblatt)
      {
        GridGenerator::hyper_cube(tria, -1., 1.);
        return;
      }
    // [0, L] x [0, 1]^(dim-1), square coarse cells, boundary ids by face
    // (x = 0 is 0, x = L is 1).
    const double length = equation == Equation::heat ? 2. * M_PI : 1.;
    std::vector<unsigned int> repetitions(dim, 1);
    repetitions[0] = static_cast<unsigned int>(std::round(length));
    Point<dim> corner;
    corner[0] = length;
    for (unsigned int d = 1; d < dim; ++d)
      corner[d] = 1.;
    GridGenerator::subdivided_hyper_rectangle(
      tria, repetitions, Point<dim>(), corner, true);
    if (equation == Equation::heat)
      {
        std::vector<GridTools::PeriodicFacePair<
          typename Triangulation<dim>::cell_iterator>>
          pairs;
        // (deal.II instantiates this for the base class of every mesh.)
        const Triangulation<dim> &mesh = tria;
        GridTools::collect_periodic_faces(mesh, 0, 1, 0, pairs);
        tria.add_periodicity(pairs);
      }
  }


  template <int dim>
  void
  GPMEProblem<dim>::make_boundary_constraints(
    AffineConstraints<double> &boundary_constraints) const
  {
    if (equation == Equation::heat)
      DoFTools::make_periodicity_constraints(
        this->dof_handler, 0, 1, 0, boundary_constraints);
    else if (!barenblatt)
      {
        // The inflow at x = 0; natural (no flux) elsewhere, where the
        // solution is 0 (the front stays inside the domain) or constant
        // across (plane waves).
        const double inflow =
          equation == Equation::pme ?
            std::pow(exponent * current_time, 1. / exponent) :
            1.;
        const double value = inflow;
        VectorTools::interpolate_boundary_values(
          this->mapping,
          this->dof_handler,
          0,
          Functions::ConstantFunction<dim>(value),
          boundary_constraints);
      }
  }


  template <int dim>
  double
  GPMEProblem<dim>::kirchhoff(const double u) const
  {
    switch (equation)
      {
        case Equation::heat:
          return heat_diffusivity * u;
        case Equation::pme:
          return std::pow(std::max(u, 0.), exponent + 1.) / (exponent + 1.);
        default:
          return std::max(u - threshold, 0.);
      }
  }


  template <int dim>
  double
  GPMEProblem<dim>::cell_diffusivity(const double low, const double high) const
  {
    // The secant of the Kirchhoff transform K(u) = int_0^u k over the
    // cell's range: the flux k_c (u_a - u_b) / h between two nodes is then
    // (K(u_a) - K(u_b)) / h, the conservative flux of u_t = Laplace K(u)
    // that converges for degenerate k (a Stefan front, the edge of a porous
    // medium), where k at quadrature points stalls the front.
    if (high - low > 1e-12 * (1. + std::abs(high)))
      return (kirchhoff(high) - kirchhoff(low)) / (high - low);
    return diffusivity(0.5 * (low + high));
  }


  template <int dim>
  void
  GPMEProblem<dim>::assemble_system()
  {
    this->system_matrix = 0.;
    this->system_rhs    = 0.;

    // The time derivative with the lumped mass (Gauss-Lobatto points at the
    // nodes): a diagonal M keeps the scheme monotone ahead of a front,
    // where the consistent mass would make the solution negative. Its row
    // sums are the integrals of the shape functions, so sum_i M_ii u_i is
    // the integral of u_h.
    const QGaussLobatto<dim> nodal(this->fe->degree + 1);
    FEValues<dim>            mass_values(this->mapping,
                              *this->fe,
                              nodal,
                              update_values | update_JxW_values);
    FEValues<dim>            fe_values(this->mapping,
                            *this->fe,
                            this->quadrature,
                            update_gradients | update_JxW_values);
    const unsigned int       dofs_per_cell = this->fe->n_dofs_per_cell();
    FullMatrix<double>       cell_matrix(dofs_per_cell, dofs_per_cell);
    Vector<double>           cell_rhs(dofs_per_cell);
    std::vector<types::global_dof_index> dof_indices(dofs_per_cell);
    std::vector<double>                  old(nodal.size());
    const double                         inverse_step = 1. / time_step;

    for (const auto &cell : this->dof_handler.active_cell_iterators())
      if (cell->is_locally_owned())
        {
          cell->get_dof_indices(dof_indices);
          const TrilinosWrappers::MPI::Vector &iterate =
            this->locally_relevant_solution;
          double low = std::numeric_limits<double>::max(), high = -low;
          for (const auto i : dof_indices)
            {
              const double value = iterate(i);
              low                = std::min(low, value);
              high               = std::max(high, value);
            }
          const double k = cell_diffusivity(low, high);

          mass_values.reinit(cell);
          fe_values.reinit(cell);
          mass_values.get_function_values(old_solution, old);
          cell_matrix = 0.;
          cell_rhs    = 0.;
          for (const unsigned int q : mass_values.quadrature_point_indices())
            for (unsigned int i = 0; i < dofs_per_cell; ++i)
              {
                const double phi_i = mass_values.shape_value(i, q);
                const double m     = inverse_step * phi_i * mass_values.JxW(q);
                for (unsigned int j = 0; j < dofs_per_cell; ++j)
                  cell_matrix(i, j) += m * mass_values.shape_value(j, q);
                cell_rhs(i) += m * old[q];
              }
          for (const unsigned int q : fe_values.quadrature_point_indices())
            for (unsigned int i = 0; i < dofs_per_cell; ++i)
              for (unsigned int j = 0; j < dofs_per_cell; ++j)
                cell_matrix(i, j) +=
                  k *
                  (fe_values.shape_grad(i, q) * fe_values.shape_grad(j, q)) *
                  fe_values.JxW(q);
          this->constraints.distribute_local_to_global(cell_matrix,
                                                       cell_rhs,
                                                       dof_indices,
                                                       this->system_matrix,
                                                       this->system_rhs);
        }
    this->system_matrix.compress(VectorOperation::add);
    this->system_rhs.compress(VectorOperation::add);
  }


  template <int dim>
  unsigned int
  GPMEProblem<dim>::n_steps() const
  {
    return 1 + static_cast<unsigned int>(std::lround(final_time / time_step));
  }


  template <int dim>
  double
  GPMEProblem<dim>::time() const
  {
    return current_time;
  }


  template <int dim>
  unsigned int
  GPMEProblem<dim>::solve_nonlinear(SolverHook &solver)
  {
    return newton ? solve_newton(solver) : solve_picard(solver);
  }


  template <int dim>
  unsigned int
  GPMEProblem<dim>::solve_picard(SolverHook &solver)
  {
    // The first iterate: the last time step's solution with the new
    // boundary values.
    this->constraints.distribute(this->solution);
    this->locally_relevant_solution = this->solution;
    TrilinosWrappers::MPI::Vector previous(this->solution),
      update(this->solution);
    double change = 0., last_change = 0.;
    // A degenerate k (Stefan) can make plain Picard cycle between two
    // states, as nodes cross u* back and forth: when the change grows, the
    // update is damped (halved, down to 1/16).
    double damping = 1.;
    for (unsigned int k = 1; k <= max_nonlinear_iterations; ++k)
      {
        {
          TimerSection section(this->timer, "assemble");
          assemble_system();
        }
        solver.solve(this->system_matrix, this->solution, this->system_rhs);
        if (damping < 1.)
          this->solution.sadd(damping, 1. - damping, previous);
        this->constraints.distribute(this->solution);
        update = this->solution;
        update -= previous;
        change =
          update.l2_norm() / std::max(this->solution.l2_norm(),
                                      std::numeric_limits<double>::min());
        previous                        = this->solution;
        this->locally_relevant_solution = this->solution;
        if (change <= nonlinear_tolerance)
          return k;
        if (k > 1 && change > 0.9 * last_change)
          damping = std::max(damping / 2., 1. / 16.);
        last_change = change;
      }
    AssertThrow(false,
                ExcMessage("Problem/gpme: the Picard iteration did not "
                           "converge at t = " +
                           format_number(current_time, 6) + " within " +
                           std::to_string(max_nonlinear_iterations) +
                           " iterations (relative change " +
                           format_number(change) +
                           "). Lower 'Time step', raise 'Maximum nonlinear "
                           "iterations', or loosen 'Nonlinear tolerance' to "
                           "above the linear solver's accuracy."));
    return 0;
  }


  template <int dim>
  double
  GPMEProblem<dim>::kirchhoff_derivative(const double u) const
  {
    // For the Stefan problem a generalised derivative: 1 from u* on.
    return diffusivity(u);
  }


  template <int dim>
  void
  GPMEProblem<dim>::assemble_newton(
    const AffineConstraints<double>     &newton_constraints,
    const TrilinosWrappers::MPI::Vector &slope,
    const TrilinosWrappers::MPI::Vector &kirchhoff_u)
  {
    this->system_matrix = 0.;
    this->system_rhs    = 0.;
    const QGaussLobatto<dim> nodal(this->fe->degree + 1);
    FEValues<dim>            mass_values(this->mapping,
                              *this->fe,
                              nodal,
                              update_values | update_JxW_values);
    FEValues<dim>            fe_values(this->mapping,
                            *this->fe,
                            this->quadrature,
                            update_gradients | update_JxW_values);
    const unsigned int       dofs_per_cell = this->fe->n_dofs_per_cell();
    FullMatrix<double>       cell_matrix(dofs_per_cell, dofs_per_cell),
      stiffness(dofs_per_cell, dofs_per_cell);
    Vector<double> cell_rhs(dofs_per_cell), local_k(dofs_per_cell),
      stiffness_k(dofs_per_cell);
    std::vector<types::global_dof_index> dof_indices(dofs_per_cell);
    std::vector<double> u(nodal.size()), u_old(nodal.size()), d(nodal.size());
    const double        inverse_step = 1. / time_step;

    for (const auto &cell : this->dof_handler.active_cell_iterators())
      if (cell->is_locally_owned())
        {
          cell->get_dof_indices(dof_indices);
          mass_values.reinit(cell);
          fe_values.reinit(cell);
          mass_values.get_function_values(this->locally_relevant_solution, u);
          mass_values.get_function_values(old_solution, u_old);
          mass_values.get_function_values(slope, d);
          for (unsigned int i = 0; i < dofs_per_cell; ++i)
            local_k(i) = kirchhoff_u(dof_indices[i]);

          stiffness = 0.;
          for (const unsigned int q : fe_values.quadrature_point_indices())
            for (unsigned int i = 0; i < dofs_per_cell; ++i)
              for (unsigned int j = 0; j < dofs_per_cell; ++j)
                stiffness(i, j) +=
                  (fe_values.shape_grad(i, q) * fe_values.shape_grad(j, q)) *
                  fe_values.JxW(q);
          cell_matrix = stiffness;
          // -F = -(M (u - u_old)/dt + A K(u)), and the diagonal M/(dt K')
          // on the nodes where K' > 0 (the others are constrained to 0).
          stiffness.vmult(stiffness_k, local_k);
          for (unsigned int i = 0; i < dofs_per_cell; ++i)
            cell_rhs(i) = -stiffness_k(i);
          for (const unsigned int q : mass_values.quadrature_point_indices())
            for (unsigned int i = 0; i < dofs_per_cell; ++i)
              {
                const double m = inverse_step * mass_values.shape_value(i, q) *
                                 mass_values.JxW(q);
                if (m == 0.)
                  continue;
                cell_rhs(i) -= m * (u[q] - u_old[q]);
                if (d[q] > 0.)
                  cell_matrix(i, i) += m / d[q];
              }
          newton_constraints.distribute_local_to_global(cell_matrix,
                                                        cell_rhs,
                                                        dof_indices,
                                                        this->system_matrix,
                                                        this->system_rhs);
        }
    this->system_matrix.compress(VectorOperation::add);
    this->system_rhs.compress(VectorOperation::add);
  }


  template <int dim>
  void
  GPMEProblem<dim>::inactive_update(
    const TrilinosWrappers::MPI::Vector &theta,
    const TrilinosWrappers::MPI::Vector &kirchhoff_u,
    const std::vector<bool>             &inactive,
    TrilinosWrappers::MPI::Vector       &delta)
  {
    // On a node where K' = 0 the row reads m delta/dt + (A (K(u) + theta))
    // = -m (u - u_old)/dt: delta from the residual of the row, assembled
    // without constraints (every cell that touches the node adds to it).
    TrilinosWrappers::MPI::Vector row, lumped;
    row.reinit(this->locally_owned_dofs(),
               this->locally_relevant_dofs(),
               this->mpi_communicator,
               /*vector_writable=*/true);
    lumped.reinit(row);
    const QGaussLobatto<dim> nodal(this->fe->degree + 1);
    FEValues<dim>            mass_values(this->mapping,
                              *this->fe,
                              nodal,
                              update_values | update_JxW_values);
    FEValues<dim>            fe_values(this->mapping,
                            *this->fe,
                            this->quadrature,
                            update_gradients | update_JxW_values);
    const unsigned int       dofs_per_cell = this->fe->n_dofs_per_cell();
    std::vector<types::global_dof_index> dof_indices(dofs_per_cell);
    Vector<double> local(dofs_per_cell), product(dofs_per_cell),
      row_local(dofs_per_cell), mass_local(dofs_per_cell);
    FullMatrix<double>  stiffness(dofs_per_cell, dofs_per_cell);
    std::vector<double> u(nodal.size()), u_old(nodal.size());
    for (const auto &cell : this->dof_handler.active_cell_iterators())
      if (cell->is_locally_owned())
        {
          cell->get_dof_indices(dof_indices);
          mass_values.reinit(cell);
          fe_values.reinit(cell);
          mass_values.get_function_values(this->locally_relevant_solution, u);
          mass_values.get_function_values(old_solution, u_old);
          stiffness = 0.;
          for (const unsigned int q : fe_values.quadrature_point_indices())
            for (unsigned int i = 0; i < dofs_per_cell; ++i)
              for (unsigned int j = 0; j < dofs_per_cell; ++j)
                stiffness(i, j) +=
                  (fe_values.shape_grad(i, q) * fe_values.shape_grad(j, q)) *
                  fe_values.JxW(q);
          for (unsigned int i = 0; i < dofs_per_cell; ++i)
            local(i) = kirchhoff_u(dof_indices[i]) + theta(dof_indices[i]);
          stiffness.vmult(product, local);
          row_local  = 0.;
          mass_local = 0.;
          for (const unsigned int q : mass_values.quadrature_point_indices())
            for (unsigned int i = 0; i < dofs_per_cell; ++i)
              {
                const double m =
                  mass_values.shape_value(i, q) * mass_values.JxW(q);
                mass_local(i) += m;
                row_local(i) -= m * (u[q] - u_old[q]) / time_step;
              }
          for (unsigned int i = 0; i < dofs_per_cell; ++i)
            {
              row(dof_indices[i]) += row_local(i) - product(i);
              lumped(dof_indices[i]) += mass_local(i);
            }
        }
    row.compress(VectorOperation::add);
    lumped.compress(VectorOperation::add);
    for (const auto i : delta.locally_owned_elements())
      {
        const auto local_index = this->locally_owned_dofs().index_within_set(i);
        if (inactive[local_index] && !this->constraints.is_constrained(i))
          delta[i] = time_step * row[i] / lumped[i];
      }
    delta.compress(VectorOperation::insert);
  }


  template <int dim>
  unsigned int
  GPMEProblem<dim>::solve_newton(SolverHook &solver)
  {
    auto &u = this->solution;
    this->constraints.distribute(u);
    this->locally_relevant_solution     = u;
    const IndexSet               &owned = this->locally_owned_dofs();
    TrilinosWrappers::MPI::Vector kirchhoff_owned(u), slope_owned(u), theta(u),
      delta(u);
    TrilinosWrappers::MPI::Vector kirchhoff_u(owned,
                                              this->locally_relevant_dofs(),
                                              this->mpi_communicator),
      slope(kirchhoff_u), theta_ghosted(kirchhoff_u);
    std::vector<bool> inactive(owned.n_elements());
    double            change = 0.;
    for (unsigned int k = 1; k <= max_nonlinear_iterations; ++k)
      {
        // K(u) and K'(u) at the nodes; the nodes where K' = 0 are
        // constrained to theta = 0 besides the constraints of u (whose
        // values are already right: homogeneous for the update).
        AffineConstraints<double> newton_constraints;
        newton_constraints.reinit(this->locally_relevant_dofs());
        // K' below 1e-10 of its largest value counts as 0 (pme near its
        // front, where u^m underflows; 1/K' would overflow).
        double largest_slope = 0.;
        for (const auto i : owned)
          largest_slope = std::max(largest_slope, kirchhoff_derivative(u[i]));
        const double threshold =
          1e-10 * Utilities::MPI::max(largest_slope, this->mpi_communicator);
        for (const auto i : owned)
          {
            kirchhoff_owned[i]                  = kirchhoff(u[i]);
            const double d                      = kirchhoff_derivative(u[i]);
            slope_owned[i]                      = d > threshold ? d : 0.;
            inactive[owned.index_within_set(i)] = !(d > threshold);
          }
        kirchhoff_owned.compress(VectorOperation::insert);
        slope_owned.compress(VectorOperation::insert);
        kirchhoff_u = kirchhoff_owned;
        slope       = slope_owned;
        // Ghost nodes' state comes from their owners, so that every rank
        // constrains the same nodes where its cells are.
        for (const auto i : this->locally_relevant_dofs())
          if (!(slope(i) > 0.) && !this->constraints.is_constrained(i))
            newton_constraints.add_line(i);
        // u's own constraints, homogeneous: the update keeps the boundary
        // values, hanging-node and periodic relations of u.
        newton_constraints.merge(this->constraints);
        for (const auto i : this->locally_relevant_dofs())
          if (this->constraints.is_constrained(i))
            newton_constraints.set_inhomogeneity(i, 0.);
        newton_constraints.close();

        {
          TimerSection section(this->timer, "assemble");
          assemble_newton(newton_constraints, slope, kirchhoff_u);
        }
        theta = 0.;
        solver.solve(this->system_matrix, theta, this->system_rhs);
        newton_constraints.distribute(theta);
        theta_ghosted = theta;

        // delta = theta / K' where K' > 0, from its own row elsewhere.
        for (const auto i : owned)
          delta[i] = slope_owned[i] > 0. ? theta[i] / slope_owned[i] : 0.;
        delta.compress(VectorOperation::insert);
        inactive_update(theta_ghosted, kirchhoff_u, inactive, delta);
        this->constraints.set_zero(delta);

        u += delta;
        this->constraints.distribute(u);
        this->locally_relevant_solution = u;
        change                          = delta.l2_norm() /
                 std::max(u.l2_norm(), std::numeric_limits<double>::min());
        if (change <= nonlinear_tolerance)
          return k;
      }
    AssertThrow(false,
                ExcMessage("Problem/gpme: Newton's method did not converge at "
                           "t = " +
                           format_number(current_time, 6) + " within " +
                           std::to_string(max_nonlinear_iterations) +
                           " iterations (relative change " +
                           format_number(change) +
                           "). Lower 'Time step', raise 'Maximum nonlinear "
                           "iterations', or loosen 'Nonlinear tolerance' to "
                           "above the linear solver's accuracy."));
    return 0;
  }


  template <int dim>
  void
  GPMEProblem<dim>::advance(const unsigned int step, SolverHook &solver)
  {
    if (step == 0)
      {
        TimerSection section(this->timer, "setup");
        current_time = barenblatt ? barenblatt_start : 0.;
        this->setup_system();
        old_solution.reinit(this->locally_owned_dofs(),
                            this->locally_relevant_dofs(),
                            this->mpi_communicator);
        interpolate_exact_solution(this->solution);
        this->constraints.distribute(this->solution);
        nonlinear_iterations = 0;
      }
    else
      {
        if (adapt_interval > 0 && step % adapt_interval == 0)
          {
            TimerSection section(this->timer, "setup");
            adapt_mesh();
          }
        current_time += time_step;
        this->rebuild_constraints();
        nonlinear_iterations = solve_nonlinear(solver);
      }
    this->distribute_solution(this->solution);
    old_solution = this->solution;
    TimerSection section(this->timer, "estimate");
    this->estimate(this->indicators);
  }


  template <int dim>
  void
  GPMEProblem<dim>::adapt_mesh()
  {
    if constexpr (dim > 1)
      {
        this->mark_cells(this->indicators);
        for (const auto &cell : this->triangulation.active_cell_iterators())
          if (cell->is_locally_owned() && cell->refine_flag_set() &&
              static_cast<unsigned int>(cell->level()) >= max_level)
            cell->clear_refine_flag();
        parallel::distributed::SolutionTransfer<dim,
                                                TrilinosWrappers::MPI::Vector>
          transfer(this->dof_handler);
        this->triangulation.prepare_coarsening_and_refinement();
        transfer.prepare_for_coarsening_and_refinement(
          this->locally_relevant_solution);
        this->triangulation.execute_coarsening_and_refinement();
        this->setup_system();
        transfer.interpolate(this->solution);
        this->constraints.distribute(this->solution);
        this->locally_relevant_solution = this->solution;
        old_solution.reinit(this->locally_owned_dofs(),
                            this->locally_relevant_dofs(),
                            this->mpi_communicator);
        old_solution = this->solution;
      }
  }


  template <int dim>
  std::string
  GPMEProblem<dim>::describe_step(const unsigned int step) const
  {
    std::ostringstream out;
    out << "Step " << step << ", t = " << format_number(current_time, 6) << ": "
        << this->triangulation.n_global_active_cells() << " cells, "
        << this->dof_handler.n_dofs() << " DoFs";
    if (step > 0)
      out << ", " << nonlinear_iterations << (newton ? " Newton" : " Picard")
          << " iterations";
    return out.str();
  }


  template <int dim>
  double
  GPMEProblem<dim>::integral() const
  {
    FEValues<dim>       fe_values(this->mapping,
                            *this->fe,
                            this->quadrature,
                            update_values | update_JxW_values);
    std::vector<double> values(this->quadrature.size());
    double              sum = 0.;
    for (const auto &cell : this->dof_handler.active_cell_iterators())
      if (cell->is_locally_owned())
        {
          fe_values.reinit(cell);
          fe_values.get_function_values(this->locally_relevant_solution,
                                        values);
          for (const unsigned int q : fe_values.quadrature_point_indices())
            sum += values[q] * fe_values.JxW(q);
        }
    return Utilities::MPI::sum(sum, this->mpi_communicator);
  }


  template <int dim>
  double
  GPMEProblem<dim>::l2_error() const
  {
    const double                                t = current_time;
    const ScalarFunctionFromFunctionObject<dim> exact(
      [this, t](const Point<dim> &p) { return exact_value(p, t); });
    Vector<float> cellwise(this->triangulation.n_active_cells());
    VectorTools::integrate_difference(this->mapping,
                                      this->dof_handler,
                                      this->locally_relevant_solution,
                                      exact,
                                      cellwise,
                                      QGauss<dim>(this->fe->degree + 3),
                                      VectorTools::L2_norm);
    return VectorTools::compute_global_error(this->triangulation,
                                             cellwise,
                                             VectorTools::L2_norm);
  }


  template <int dim>
  std::vector<std::pair<std::string, double>>
  GPMEProblem<dim>::step_columns(const unsigned int) const
  {
    const double t0 = barenblatt ? barenblatt_start : 0.;
    return {{"time", current_time - t0},
            {"nonlinear_iterations", double(nonlinear_iterations)},
            {"integral", integral()},
            {"exact_integral", exact_integral(current_time)},
            {"l2_error", l2_error()}};
  }


  template <int dim>
  bool
  GPMEProblem<dim>::is_output_step(const unsigned int step) const
  {
    if (step + 1 == n_steps())
      return true;
    const double t = step * time_step;
    for (const double output : output_times)
      if (std::abs(t - output) < 0.5 * time_step)
        return true;
    return false;
  }


  template <int dim>
  std::optional<double>
  GPMEProblem<dim>::exact_integral() const
  {
    return exact_integral(current_time);
  }


  template <int dim>
  std::optional<double>
  GPMEProblem<dim>::conserved_integral() const
  {
    if (flux_target)
      return flux_integral(current_time);
    return exact_integral(current_time);
  }


  template <int dim>
  bool
  GPMEProblem<dim>::interpolate_exact_solution(
    TrilinosWrappers::MPI::Vector &owned) const
  {
    const double                                t = current_time;
    const ScalarFunctionFromFunctionObject<dim> exact(
      [this, t](const Point<dim> &p) { return exact_value(p, t); });
    VectorTools::interpolate(this->mapping, this->dof_handler, exact, owned);
    return true;
  }


  template <int dim>
  std::vector<std::pair<std::string, double>>
  GPMEProblem<dim>::pde_parameters() const
  {
    switch (equation)
      {
        case Equation::heat:
          return {{"diffusivity", heat_diffusivity}};
        case Equation::pme:
          return {{"exponent", exponent}};
        default:
          return {{"threshold", threshold}};
      }
  }


  template class GPMEProblem<1>;
  template class GPMEProblem<2>;
  template class GPMEProblem<3>;
} // namespace dealii_learned

DEALII_LEARNED_REGISTER_PROBLEM_1D_2D_3D(
  dealii_learned::GPMEProblem,
  "gpme",
  "The generalized porous medium equation u_t = div(k(u) grad u) in time "
  "(implicit Euler, Newton or Picard through the solver hook): heat, "
  "porous medium "
  "or Stefan (set 'Equation' in its subsection), with exact solutions and "
  "integrals; the ProbConserv benchmarks.")
