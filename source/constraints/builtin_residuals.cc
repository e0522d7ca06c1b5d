#include <deal.II/base/parameter_handler.h>

#include <deal.II/fe/fe_values.h>

#include <dealii-learned/base/coefficients.h>
#include <dealii-learned/constraints/builtin_residuals.h>

#include <cmath>

namespace dealii_learned
{
  using namespace dealii;

  namespace
  {
    /** u and grad u at quadrature point q from the cell's DoF values. */
    template <int dim>
    std::pair<double, Tensor<1, dim>>
    value_and_gradient(const FEValues<dim>       &fe_values,
                       const std::vector<double> &u,
                       const unsigned int         q)
    {
      double         value = 0.;
      Tensor<1, dim> gradient;
      for (unsigned int j = 0; j < u.size(); ++j)
        {
          value += u[j] * fe_values.shape_value(j, q);
          gradient += u[j] * fe_values.shape_grad(j, q);
        }
      return {value, gradient};
    }
  } // namespace


  // ------------------------------------------------------------------
  // diffusion-reaction

  template <int dim>
  void
  DiffusionReactionResidual<dim>::declare_parameters(ParameterHandler &prm)
  {
    prm.declare_entry("Coefficient",
                      "random",
                      Patterns::Selection("random|jump"),
                      "eps(x): the random block field of the "
                      "random-coefficient problem (one sample per seed) or "
                      "the checkerboard of the jump-coefficient problem.");
    prm.declare_entry("Blocks per direction",
                      "8",
                      Patterns::Integer(1, 1024),
                      "Blocks of the random coefficient per direction on "
                      "[-1, 1]^d.");
  }


  template <int dim>
  void
  DiffusionReactionResidual<dim>::parse_parameters(ParameterHandler &prm)
  {
    random = prm.get("Coefficient") == "random";
    blocks = prm.get_integer("Blocks per direction");
  }


  template <int dim>
  std::vector<std::string>
  DiffusionReactionResidual<dim>::parameter_names() const
  {
    return {"contrast", "reaction", "source", "seed"};
  }


  template <int dim>
  std::vector<std::pair<double, double>>
  DiffusionReactionResidual<dim>::parameter_ranges() const
  {
    return {{1., 100.}, {0., 10.}, {0.5, 2.}, {0., 1e6}};
  }


  template <int dim>
  bool
  DiffusionReactionResidual<dim>::is_linear() const
  {
    return true;
  }


  template <int dim>
  std::vector<std::string>
  DiffusionReactionResidual<dim>::network_parameter_names() const
  {
    return {"contrast", "reaction", "source"};
  }


  template <int dim>
  std::vector<std::string>
  DiffusionReactionResidual<dim>::feature_names() const
  {
    return {"log_coefficient"};
  }


  template <int dim>
  double
  DiffusionReactionResidual<dim>::coefficient(const Point<dim> &p) const
  {
    const double contrast = this->parameters[0];
    return random ? random_coefficient(p,
                                       blocks,
                                       static_cast<unsigned int>(
                                         std::round(this->parameters[3])),
                                       contrast) :
                    jump_coefficient(p, contrast);
  }


  template <int dim>
  std::vector<double>
  DiffusionReactionResidual<dim>::point_features(const Point<dim> &p) const
  {
    return {std::log(coefficient(p))};
  }


  template <int dim>
  void
  DiffusionReactionResidual<dim>::cell_residual(
    const FEValues<dim>       &fe_values,
    const std::vector<double> &u,
    Vector<double>            &residual,
    FullMatrix<double>        *jacobian) const
  {
    const double       kappa = this->parameters[1], f = this->parameters[2];
    const unsigned int n = u.size();
    residual             = 0.;
    if (jacobian != nullptr)
      *jacobian = 0.;
    for (const unsigned int q : fe_values.quadrature_point_indices())
      {
        const double eps = coefficient(fe_values.quadrature_point(q));
        const auto [value, gradient] = value_and_gradient(fe_values, u, q);
        const double dx              = fe_values.JxW(q);
        for (unsigned int i = 0; i < n; ++i)
          {
            const double         phi_i  = fe_values.shape_value(i, q);
            const Tensor<1, dim> grad_i = fe_values.shape_grad(i, q);
            residual(i) +=
              (eps * gradient * grad_i + (kappa * value - f) * phi_i) * dx;
            if (jacobian != nullptr)
              for (unsigned int j = 0; j < n; ++j)
                (*jacobian)(i, j) +=
                  (eps * fe_values.shape_grad(j, q) * grad_i +
                   kappa * fe_values.shape_value(j, q) * phi_i) *
                  dx;
          }
      }
  }


  // ------------------------------------------------------------------
  // nonlinear-diffusion

  template <int dim>
  void
  NonlinearDiffusionResidual<dim>::declare_parameters(ParameterHandler &prm)
  {
    prm.declare_entry("Boundary value",
                      "0",
                      Patterns::Double(),
                      "The value of u on the whole boundary.");
  }


  template <int dim>
  void
  NonlinearDiffusionResidual<dim>::parse_parameters(ParameterHandler &prm)
  {
    boundary = prm.get_double("Boundary value");
  }


  template <int dim>
  double
  NonlinearDiffusionResidual<dim>::boundary_value(const Point<dim> &) const
  {
    return boundary;
  }


  template <int dim>
  std::vector<std::string>
  NonlinearDiffusionResidual<dim>::parameter_names() const
  {
    return {"source", "wave"};
  }


  template <int dim>
  std::vector<std::pair<double, double>>
  NonlinearDiffusionResidual<dim>::parameter_ranges() const
  {
    return {{1., 20.}, {0., 10.}};
  }


  template <int dim>
  bool
  NonlinearDiffusionResidual<dim>::is_linear() const
  {
    return false;
  }


  template <int dim>
  std::vector<std::string>
  NonlinearDiffusionResidual<dim>::feature_names() const
  {
    return {"source_term"};
  }


  template <int dim>
  double
  NonlinearDiffusionResidual<dim>::source(const Point<dim> &p) const
  {
    return this->parameters[0] +
           this->parameters[1] * std::sin(M_PI * p[0]) * std::sin(M_PI * p[1]);
  }


  template <int dim>
  std::vector<double>
  NonlinearDiffusionResidual<dim>::point_features(const Point<dim> &p) const
  {
    return {source(p)};
  }


  template <int dim>
  void
  NonlinearDiffusionResidual<dim>::cell_residual(
    const FEValues<dim>       &fe_values,
    const std::vector<double> &u,
    Vector<double>            &residual,
    FullMatrix<double>        *jacobian) const
  {
    const unsigned int n = u.size();
    residual             = 0.;
    if (jacobian != nullptr)
      *jacobian = 0.;
    for (const unsigned int q : fe_values.quadrature_point_indices())
      {
        const double f               = source(fe_values.quadrature_point(q));
        const auto [value, gradient] = value_and_gradient(fe_values, u, q);
        const double k               = 1. + value * value;
        const double dx              = fe_values.JxW(q);
        for (unsigned int i = 0; i < n; ++i)
          {
            const double         phi_i  = fe_values.shape_value(i, q);
            const Tensor<1, dim> grad_i = fe_values.shape_grad(i, q);
            residual(i) += (k * gradient * grad_i - f * phi_i) * dx;
            if (jacobian != nullptr)
              for (unsigned int j = 0; j < n; ++j)
                (*jacobian)(i, j) += (k * fe_values.shape_grad(j, q) * grad_i +
                                      2. * value * fe_values.shape_value(j, q) *
                                        (gradient * grad_i)) *
                                     dx;
          }
      }
  }


  // ------------------------------------------------------------------
  // diffusion-sorption

  template <int dim>
  void
  DiffusionSorptionResidual<dim>::declare_parameters(ParameterHandler &prm)
  {
    prm.declare_entry("Freundlich factor",
                      "2.157",
                      Patterns::Double(0.),
                      "c in R(u) = 1 + c u^(n_f - 1): (1 - phi)/phi rho_s k "
                      "n_f, with PDEBench's porosity phi = 0.29, density "
                      "rho_s = 2880, k = 3.5e-4, n_f = 0.874.");
    prm.declare_entry("Freundlich exponent",
                      "0.874",
                      Patterns::Double(0., 1.),
                      "n_f in R(u) = 1 + c u^(n_f - 1).");
    prm.declare_entry("Cutoff",
                      "1e-4",
                      Patterns::Double(0.),
                      "R(u) uses max(u, cutoff): u^(n_f - 1) is infinite "
                      "at u = 0.");
    prm.declare_entry("Width",
                      "0.3",
                      Patterns::Double(0.),
                      "Width of the previous state u_old = amplitude "
                      "exp(-|x|^2 / (2 width^2)).");
  }


  template <int dim>
  void
  DiffusionSorptionResidual<dim>::parse_parameters(ParameterHandler &prm)
  {
    factor   = prm.get_double("Freundlich factor");
    exponent = prm.get_double("Freundlich exponent");
    cutoff   = prm.get_double("Cutoff");
    width    = prm.get_double("Width");
    AssertThrow(cutoff > 0. && width > 0.,
                ExcMessage("diffusion-sorption: 'Cutoff' and 'Width' must be "
                           "positive."));
  }


  template <int dim>
  std::vector<std::string>
  DiffusionSorptionResidual<dim>::parameter_names() const
  {
    return {"tau", "amplitude"};
  }


  template <int dim>
  std::vector<std::pair<double, double>>
  DiffusionSorptionResidual<dim>::parameter_ranges() const
  {
    return {{1e-3, 1e-2}, {0.5, 1.}};
  }


  template <int dim>
  bool
  DiffusionSorptionResidual<dim>::is_linear() const
  {
    return false;
  }


  template <int dim>
  std::vector<std::string>
  DiffusionSorptionResidual<dim>::feature_names() const
  {
    return {"previous"};
  }


  template <int dim>
  bool
  DiffusionSorptionResidual<dim>::has_previous_state() const
  {
    return true;
  }


  template <int dim>
  double
  DiffusionSorptionResidual<dim>::previous_state(const Point<dim> &p) const
  {
    return previous(p);
  }


  template <int dim>
  double
  DiffusionSorptionResidual<dim>::previous(const Point<dim> &p) const
  {
    return this->parameters[1] *
           std::exp(-p.norm_square() / (2. * width * width));
  }


  template <int dim>
  std::vector<double>
  DiffusionSorptionResidual<dim>::point_features(const Point<dim> &p) const
  {
    return {previous(p)};
  }


  template <int dim>
  std::pair<double, double>
  DiffusionSorptionResidual<dim>::retardation(const double u) const
  {
    if (u <= cutoff)
      return {1. + factor * std::pow(cutoff, exponent - 1.), 0.};
    return {1. + factor * std::pow(u, exponent - 1.),
            factor * (exponent - 1.) * std::pow(u, exponent - 2.)};
  }


  template <int dim>
  void
  DiffusionSorptionResidual<dim>::cell_residual(
    const FEValues<dim>       &fe_values,
    const std::vector<double> &u,
    Vector<double>            &residual,
    FullMatrix<double>        *jacobian) const
  {
    const double       tau = this->parameters[0];
    const unsigned int n   = u.size();
    residual               = 0.;
    if (jacobian != nullptr)
      *jacobian = 0.;
    for (const unsigned int q : fe_values.quadrature_point_indices())
      {
        const double old             = previous(fe_values.quadrature_point(q));
        const auto [value, gradient] = value_and_gradient(fe_values, u, q);
        const auto [R, dR]           = retardation(value);
        const double dx              = fe_values.JxW(q);
        for (unsigned int i = 0; i < n; ++i)
          {
            const double         phi_i  = fe_values.shape_value(i, q);
            const Tensor<1, dim> grad_i = fe_values.shape_grad(i, q);
            residual(i) +=
              (R * (value - old) * phi_i + tau * gradient * grad_i) * dx;
            if (jacobian != nullptr)
              for (unsigned int j = 0; j < n; ++j)
                (*jacobian)(i, j) +=
                  ((R + dR * (value - old)) * fe_values.shape_value(j, q) *
                     phi_i +
                   tau * fe_values.shape_grad(j, q) * grad_i) *
                  dx;
          }
      }
  }


  template class DiffusionReactionResidual<2>;
  template class DiffusionReactionResidual<3>;
  template class NonlinearDiffusionResidual<2>;
  template class NonlinearDiffusionResidual<3>;
  template class DiffusionSorptionResidual<2>;
  template class DiffusionSorptionResidual<3>;
} // namespace dealii_learned

DEALII_LEARNED_REGISTER_RESIDUAL(
  dealii_learned::DiffusionReactionResidual,
  "diffusion-reaction",
  "-div(eps grad u) + kappa u = f with the random-coefficient (or "
  "jump-coefficient) eps, u = 0 on the boundary; p = (contrast, reaction, "
  "source, seed). Linear.")
DEALII_LEARNED_REGISTER_RESIDUAL(
  dealii_learned::NonlinearDiffusionResidual,
  "nonlinear-diffusion",
  "-div((1 + u^2) grad u) = source + wave sin(pi x) sin(pi y), u = 0 on "
  "the boundary; p = (source, wave).")
DEALII_LEARNED_REGISTER_RESIDUAL(
  dealii_learned::DiffusionSorptionResidual,
  "diffusion-sorption",
  "One implicit Euler step of PDEBench's diffusion-sorption equation, "
  "R(u) (u - u_old) = tau Laplace u with the Freundlich retardation R(u) = "
  "1 + c u^(n_f - 1), u = 0 on the boundary; p = (tau, amplitude of "
  "u_old).")
