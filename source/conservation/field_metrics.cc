#include <deal.II/base/exceptions.h>
#include <deal.II/base/mpi.h>

#include <deal.II/dofs/dof_handler.h>
#include <deal.II/dofs/dof_tools.h>

#include <deal.II/fe/mapping.h>

#include <dealii-learned/base/collective.h>
#include <dealii-learned/base/utilities.h>
#include <dealii-learned/conservation/field_metrics.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <optional>

namespace dealii_learned
{
  using namespace dealii;

  template <int dim>
  GaussianField
  predict_field(const ProbabilisticModel                          &model,
                const DoFHandler<dim, dim>                        &dof_handler,
                const Mapping<dim, dim>                           &mapping,
                const IndexSet                                    &owned,
                const MPI_Comm                                     comm,
                const double                                       time,
                const std::vector<std::pair<std::string, double>> &parameters,
                const std::string                                 &model_name)
  {
    // The input columns the model asks for: coordinates of the DoFs'
    // support points, the time, the caller's parameters.
    // What fails here (an input the host does not give, a non-finite
    // output for this rank's rows) can fail on some ranks only: the ranks
    // decide together, so that all of them throw.
    std::vector<Vector<double>> means, variances;
    decide_collectively(comm, [&]() {
      const auto                                    names = model.input_names();
      std::map<types::global_dof_index, Point<dim>> points;
      DoFTools::map_dofs_to_support_points(mapping, dof_handler, points);
      FullMatrix<double> inputs(owned.n_elements(), names.size());
      static const std::vector<std::string> coordinates = {"x", "y", "z"};
      for (unsigned int j = 0; j < names.size(); ++j)
        {
          const auto coordinate =
            std::find(coordinates.begin(), coordinates.begin() + dim, names[j]);
          std::optional<double> constant;
          if (names[j] == "t")
            constant = time;
          else if (coordinate == coordinates.begin() + dim)
            {
              std::vector<std::string> given;
              for (const auto &[name, value] : parameters)
                {
                  given.push_back(name);
                  if (name == names[j])
                    constant = value;
                }
              AssertThrow(constant.has_value(),
                          ExcMessage(
                            model_name + " takes the input '" + names[j] +
                            "', which is neither a coordinate of this " +
                            std::to_string(dim) +
                            "-D mesh, t, nor a parameter the host "
                            "gives (it gives: " +
                            (given.empty() ? std::string("none") :
                                             join(given, ", ")) +
                            ")."));
            }
          unsigned int row = 0;
          for (const auto i : owned)
            inputs(row++, j) = constant ?
                                 *constant :
                                 points.at(i)[coordinate - coordinates.begin()];
        }

      model.predict(inputs, means, variances);
    });
    const auto to_field = [&](const Vector<double> &values) {
      TrilinosWrappers::MPI::Vector v(owned, comm);
      unsigned int                  row = 0;
      for (const auto i : owned)
        v[i] = values[row++];
      v.compress(VectorOperation::insert);
      return v;
    };
    std::vector<TrilinosWrappers::MPI::Vector> m, s;
    for (unsigned int k = 0; k < means.size(); ++k)
      {
        m.push_back(to_field(means[k]));
        s.push_back(to_field(variances[k]));
      }
    return m.size() == 1 ? GaussianField::diagonal(m[0], s[0]) :
                           GaussianField::ensemble(m, s);
  }


  double
  mean_square_difference(const TrilinosWrappers::MPI::Vector &a,
                         const TrilinosWrappers::MPI::Vector &b)
  {
    TrilinosWrappers::MPI::Vector d(a);
    d -= b;
    return d.norm_sqr() / a.size();
  }


  double
  log_likelihood(const TrilinosWrappers::MPI::Vector &reference,
                 const TrilinosWrappers::MPI::Vector &mean,
                 const TrilinosWrappers::MPI::Vector &variance,
                 const TrilinosWrappers::MPI::Vector &is_free)
  {
    double sum = 0., count = 0.;
    for (const auto i : mean.locally_owned_elements())
      if (is_free[i] > 0.)
        {
          const double v = std::max(static_cast<double>(variance[i]), 1e-300);
          const double r = reference[i] - mean[i];
          sum += -0.5 * std::log(2. * M_PI * v) - 0.5 * r * r / v;
          count += 1.;
        }
    const MPI_Comm comm = mean.get_mpi_communicator();
    count               = Utilities::MPI::sum(count, comm);
    return count > 0. ? Utilities::MPI::sum(sum, comm) / count :
                        std::numeric_limits<double>::quiet_NaN();
  }


  template <int dim>
  double
  front_position(const TrilinosWrappers::MPI::Vector &u,
                 const DoFHandler<dim, dim>          &dof_handler,
                 const Mapping<dim, dim> & /*mapping*/,
                 const double level)
  {
    // The values at the cells' vertices, the ghosts included.
    IndexSet relevant;
    DoFTools::extract_locally_relevant_dofs(dof_handler, relevant);
    TrilinosWrappers::MPI::Vector ghosted(u.locally_owned_elements(),
                                          relevant,
                                          u.get_mpi_communicator());
    ghosted = u;
    // On every edge of a locally owned cell whose ends lie on both sides
    // of the level, the crossing by linear interpolation; and every vertex
    // at or above it. The front is the largest x of these.
    double front = -std::numeric_limits<double>::max();
    for (const auto &cell : dof_handler.active_cell_iterators())
      if (cell->is_locally_owned())
        for (unsigned int line = 0; line < GeometryInfo<dim>::lines_per_cell;
             ++line)
          {
            const unsigned int a =
              GeometryInfo<dim>::line_to_cell_vertices(line, 0);
            const unsigned int b =
              GeometryInfo<dim>::line_to_cell_vertices(line, 1);
            const double ua = ghosted(cell->vertex_dof_index(a, 0));
            const double ub = ghosted(cell->vertex_dof_index(b, 0));
            const double xa = cell->vertex(a)[0], xb = cell->vertex(b)[0];
            if (ua >= level)
              front = std::max(front, xa);
            if (ub >= level)
              front = std::max(front, xb);
            if ((ua - level) * (ub - level) < 0.)
              front =
                std::max(front, xa + (level - ua) / (ub - ua) * (xb - xa));
          }
    front = Utilities::MPI::max(front, u.get_mpi_communicator());
    return front == -std::numeric_limits<double>::max() ?
             std::numeric_limits<double>::quiet_NaN() :
             front;
  }


#define DEALII_LEARNED_INSTANTIATE(dim)                                      \
  template GaussianField predict_field<dim>(                                 \
    const ProbabilisticModel &,                                              \
    const DoFHandler<dim, dim> &,                                            \
    const Mapping<dim, dim> &,                                               \
    const IndexSet &,                                                        \
    const MPI_Comm,                                                          \
    const double,                                                            \
    const std::vector<std::pair<std::string, double>> &,                     \
    const std::string &);                                                    \
  template double front_position<dim>(const TrilinosWrappers::MPI::Vector &, \
                                      const DoFHandler<dim, dim> &,          \
                                      const Mapping<dim, dim> &,             \
                                      const double);
  DEALII_LEARNED_INSTANTIATE(1)
  DEALII_LEARNED_INSTANTIATE(2)
  DEALII_LEARNED_INSTANTIATE(3)
#undef DEALII_LEARNED_INSTANTIATE
} // namespace dealii_learned
