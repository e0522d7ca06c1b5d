#pragma once

#include <dealii-learned/constraints/residual_operator.h>

namespace dealii_learned
{
  /**
   * `diffusion-reaction`: -div(eps(x) grad u) + kappa u = f, u = 0 on the
   * boundary, with eps the coefficient of the `random-coefficient` problem
   * (a block field on [-1, 1]^d, one sample per `seed`) or of the
   * `jump-coefficient` problem (`Coefficient`). p = (contrast, reaction
   * kappa, source f, seed); the point feature is log eps(x). Linear.
   */
  template <int dim>
  class DiffusionReactionResidual : public ResidualOperator<dim>
  {
  public:
    static void
    declare_parameters(dealii::ParameterHandler &prm);

    void
    parse_parameters(dealii::ParameterHandler &prm) override;

    std::vector<std::string>
    parameter_names() const override;

    std::vector<std::pair<double, double>>
    parameter_ranges() const override;

    bool
    is_linear() const override;

    /** All but the seed (the coefficient field is a point feature). */
    std::vector<std::string>
    network_parameter_names() const override;

    std::vector<std::string>
    feature_names() const override;

    std::vector<double>
    point_features(const dealii::Point<dim> &p) const override;

    /** eps(x) for the current p. */
    double
    coefficient(const dealii::Point<dim> &p) const;

    void
    cell_residual(const dealii::FEValues<dim, dim> &fe_values,
                  const std::vector<double>        &u,
                  dealii::Vector<double>           &residual,
                  dealii::FullMatrix<double>       *jacobian) const override;

  private:
    bool         random = true;
    unsigned int blocks = 8;
  };


  /**
   * `nonlinear-diffusion`: -div((1 + u^2) grad u) = f, u = `Boundary
   * value` (a constant) on the boundary, f = source + wave sin(pi x)
   * sin(pi y). p = (source, wave).
   */
  template <int dim>
  class NonlinearDiffusionResidual : public ResidualOperator<dim>
  {
  public:
    static void
    declare_parameters(dealii::ParameterHandler &prm);

    void
    parse_parameters(dealii::ParameterHandler &prm) override;

    double
    boundary_value(const dealii::Point<dim> &p) const override;

    std::vector<std::string>
    parameter_names() const override;

    std::vector<std::pair<double, double>>
    parameter_ranges() const override;

    bool
    is_linear() const override;

    std::vector<std::string>
    feature_names() const override;

    std::vector<double>
    point_features(const dealii::Point<dim> &p) const override;

    /** f(x) for the current p. */
    double
    source(const dealii::Point<dim> &p) const;

    void
    cell_residual(const dealii::FEValues<dim, dim> &fe_values,
                  const std::vector<double>        &u,
                  dealii::Vector<double>           &residual,
                  dealii::FullMatrix<double>       *jacobian) const override;

  private:
    double boundary = 0.;
  };


  /**
   * `diffusion-sorption`: one implicit Euler step of R(u) u_t = D Laplace u
   * (PDEBench's diffusion-sorption case), multiplied by the time step:
   *
   *   R(u) (u - u_old) - tau Laplace u = 0,   tau = D dt,
   *
   * with the Freundlich retardation R(u) = 1 + c max(u, cutoff)^(n_f - 1)
   * (c = (1 - phi)/phi rho_s k n_f, `Freundlich factor`, and
   * `Freundlich exponent` n_f; PDEBench's constants by default; the cutoff
   * keeps R finite where u = 0), u = 0 on the boundary, and the previous
   * state u_old = amplitude exp(-|x|^2 / (2 width^2)). p = (tau,
   * amplitude); the point feature is u_old(x).
   */
  template <int dim>
  class DiffusionSorptionResidual : public ResidualOperator<dim>
  {
  public:
    static void
    declare_parameters(dealii::ParameterHandler &prm);

    void
    parse_parameters(dealii::ParameterHandler &prm) override;

    std::vector<std::string>
    parameter_names() const override;

    std::vector<std::pair<double, double>>
    parameter_ranges() const override;

    bool
    is_linear() const override;

    bool
    has_previous_state() const override;

    /** previous(). */
    double
    previous_state(const dealii::Point<dim> &p) const override;

    std::vector<std::string>
    feature_names() const override;

    std::vector<double>
    point_features(const dealii::Point<dim> &p) const override;

    /** u_old(x) for the current p. */
    double
    previous(const dealii::Point<dim> &p) const;

    /** R(u) and R'(u). */
    std::pair<double, double>
    retardation(const double u) const;

    void
    cell_residual(const dealii::FEValues<dim, dim> &fe_values,
                  const std::vector<double>        &u,
                  dealii::Vector<double>           &residual,
                  dealii::FullMatrix<double>       *jacobian) const override;

  private:
    double factor   = 2.157;
    double exponent = 0.874;
    double cutoff   = 1e-4;
    double width    = 0.3;
  };
} // namespace dealii_learned
