#pragma once

#include <deal.II/base/parameter_handler.h>
#include <deal.II/base/point.h>

#include <deal.II/lac/full_matrix.h>
#include <deal.II/lac/vector.h>

#include <dealii-learned/base/registry.h>

#include <memory>
#include <string>
#include <utility>
#include <vector>

DEAL_II_NAMESPACE_OPEN
template <int dim, int spacedim>
class FEValues;
DEAL_II_NAMESPACE_CLOSE

namespace dealii_learned
{
  /**
   * The weak residual R(u; p) of a PDE with parameters p, cell by cell:
   *
   *   r_i = R(u; p)(phi_i) = int_K F(x, u, grad u; p) . (phi_i, grad phi_i),
   *
   * and its Jacobian dr_i/du_j, for the cell's DoF values of a field u that
   * satisfies the host's constraints (hanging nodes, and Dirichlet values
   * boundary_value()). The global residual, condensed to the free DoFs by
   * the host's AffineConstraints, is assembled by assemble_residual(); a
   * hard-constraint expert makes the rows of its cells vanish.
   *
   * The PDE parameters p (a coefficient's contrast, a source's amplitude,
   * a time step) are what a neural solver is given and what training
   * samples: parameter_names() and parameter_ranges() say which and where.
   * point_features() gives, per point, what the network should see of p
   * that varies in space (for example log of a random coefficient), so a
   * network never needs to decode a random seed.
   *
   * Implementations are registered by name with
   * DEALII_LEARNED_REGISTER_RESIDUAL (dim = 2 and 3) and read their fixed
   * constants from `subsection <name>` of the section that selects them.
   */
  template <int dim>
  class ResidualOperator
  {
  public:
    virtual ~ResidualOperator() = default;

    /** Called once, inside `<section>/<name>`. */
    virtual void
    parse_parameters(dealii::ParameterHandler &prm);

    /** Names of the PDE parameters p, in order. */
    virtual std::vector<std::string>
    parameter_names() const = 0;

    /** The range [low, high] of each parameter (what training samples). */
    virtual std::vector<std::pair<double, double>>
    parameter_ranges() const = 0;

    /** Sets p: one value per parameter, each inside its range, else an
     *  error that names the parameter. */
    void
    set_parameters(const std::vector<double> &p);

    /** The current p (ResidualOperators::create() sets the middle of
     *  every range; assembling before p is set is an error). */
    const std::vector<double> &
    get_parameters() const;

    /** The value of the parameter called @p name. */
    double
    parameter(const std::string &name) const;

    /** Whether R is affine in u: then a least-squares fit of the residual
     *  is one linear solve. */
    virtual bool
    is_linear() const = 0;

    /** The Dirichlet value on the whole boundary at @p p. */
    virtual double
    boundary_value(const dealii::Point<dim> &p) const;

    /** The parameters a network is given as numbers: by default all of
     *  them. A parameter that only labels a draw (a random field's seed)
     *  is left out; the network sees what it does through
     *  point_features(). */
    virtual std::vector<std::string>
    network_parameter_names() const;

    /** Whether R is one step of a time discretisation whose previous
     *  state previous_state() gives: then u = u_old is the trivial
     *  prediction any learned one must beat. */
    virtual bool
    has_previous_state() const;

    /** The previous time step's field at @p p (has_previous_state()). */
    virtual double
    previous_state(const dealii::Point<dim> &p) const;

    /** Names of point_features(), in order. */
    virtual std::vector<std::string>
    feature_names() const;

    /** What varies in space of the current p at @p p (network inputs
     *  besides the coordinates). */
    virtual std::vector<double>
    point_features(const dealii::Point<dim> &p) const;

    /**
     * The cell's residual @p residual (r_i for its DoFs) and, if
     * @p jacobian is not null, dr_i/du_j, at the cell's DoF values @p u.
     * @p fe_values is reinitialised on the cell with values, gradients,
     * quadrature points and JxW.
     */
    virtual void
    cell_residual(const dealii::FEValues<dim, dim> &fe_values,
                  const std::vector<double>        &u,
                  dealii::Vector<double>           &residual,
                  dealii::FullMatrix<double>       *jacobian) const = 0;

  protected:
    std::vector<double> parameters;
  };


  template <>
  Registry<ResidualOperator<2>> &
  Registry<ResidualOperator<2>>::instance();
  template <>
  Registry<ResidualOperator<3>> &
  Registry<ResidualOperator<3>>::instance();


  namespace ResidualOperators
  {
    /**
     * Declares `Residual` (the registered names) and each operator's
     * subsection inside the current subsection of @p prm.
     */
    void
    declare_parameters(dealii::ParameterHandler &prm);

    /** Creates the operator named by `<section>/Residual` (@p prm at the
     *  top level), configured from `<section>/<name>`, with p at the
     *  middle of its ranges; an empty @p section means the current
     *  subsection of @p prm. */
    template <int dim>
    std::unique_ptr<ResidualOperator<dim>>
    create(dealii::ParameterHandler &prm, const std::string &section);
  } // namespace ResidualOperators
} // namespace dealii_learned

/** Registers a residual operator class template (dim = 2 and 3). */
#define DEALII_LEARNED_REGISTER_RESIDUAL(ClassTemplate, name, description) \
  namespace                                                                \
  {                                                                        \
    const ::dealii_learned::RegistrationHelper<                            \
      ::dealii_learned::ResidualOperator<2>,                               \
      ClassTemplate<2>>                                                    \
      DEALII_LEARNED_CONCAT(dealii_learned_residual_2d_,                   \
                            __LINE__)(name, description);                  \
    const ::dealii_learned::RegistrationHelper<                            \
      ::dealii_learned::ResidualOperator<3>,                               \
      ClassTemplate<3>>                                                    \
      DEALII_LEARNED_CONCAT(dealii_learned_residual_3d_,                   \
                            __LINE__)(name, description);                  \
  }
