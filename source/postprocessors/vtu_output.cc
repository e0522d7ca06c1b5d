#include <deal.II/base/parameter_handler.h>
#include <deal.II/base/utilities.h>

#include <deal.II/dofs/dof_handler.h>

#include <deal.II/fe/mapping.h>

#include <deal.II/lac/trilinos_vector.h>
#include <deal.II/lac/vector.h>

#include <deal.II/numerics/data_out.h>

#include <dealii-learned/base/utilities.h>
#include <dealii-learned/postprocessors/vtu_output.h>

#include <iomanip>
#include <sstream>

namespace dealii_learned
{
  using namespace dealii;

  template <int dim>
  void
  write_vtu(const DataOut<dim, dim> &data_out,
            const FieldContext<dim> &context,
            const std::string       &prefix)
  {
    const unsigned int n_ranks =
      Utilities::MPI::n_mpi_processes(context.mpi_communicator);
    const unsigned int rank =
      Utilities::MPI::this_mpi_process(context.mpi_communicator);
    const std::string base =
      prefix + "-" + Utilities::int_to_string(context.cycle, 2);
    const std::string piece =
      n_ranks == 1 ? base + ".vtu" :
                     base + "." + Utilities::int_to_string(rank, 4) + ".vtu";

    std::ostringstream vtu;
    data_out.write_vtu(vtu);
    write_file_atomically(context.output_directory + "/" + piece, vtu.str());

    if (n_ranks > 1)
      {
        // The record names the pieces; write it only when all exist.
        MPI_Barrier(context.mpi_communicator);
        if (rank == 0)
          {
            std::vector<std::string> pieces;
            for (unsigned int r = 0; r < n_ranks; ++r)
              pieces.push_back(base + "." + Utilities::int_to_string(r, 4) +
                               ".vtu");
            std::ostringstream pvtu;
            data_out.write_pvtu_record(pvtu, pieces);
            write_file_atomically(context.output_directory + "/" + base +
                                    ".pvtu",
                                  pvtu.str());
          }
      }
  }


  template <int dim>
  void
  VtuOutput<dim>::declare_parameters(ParameterHandler &prm)
  {
    prm.declare_entry("File name prefix",
                      "solution",
                      Patterns::FileName(),
                      "Files are named <prefix>-<cycle>.vtu (one rank) or "
                      "<prefix>-<cycle>.<rank>.vtu with a .pvtu record.");
    prm.declare_entry("Subdivisions",
                      "0",
                      Patterns::Integer(0, 8),
                      "Patches per cell edge in the output; 0 uses the "
                      "element degree so that Q2 fields look curved.");
  }


  template <int dim>
  void
  VtuOutput<dim>::parse_parameters(ParameterHandler &prm)
  {
    prefix       = prm.get("File name prefix");
    subdivisions = prm.get_integer("Subdivisions");
  }


  template <int dim>
  Statistics
  VtuOutput<dim>::execute(const FieldContext<dim>       &context,
                          TrilinosWrappers::MPI::Vector &field)
  {
    const TrilinosWrappers::MPI::Vector u = ghosted_copy(context, field);
    const auto &tria = context.dof_handler.get_triangulation();

    DataOut<dim> data_out;
    data_out.attach_dof_handler(context.dof_handler);
    data_out.add_data_vector(u,
                             context.field_name,
                             DataOut<dim>::type_dof_data);

    Vector<float> subdomain(tria.n_active_cells());
    for (auto &s : subdomain)
      s = tria.locally_owned_subdomain();
    data_out.add_data_vector(subdomain,
                             "subdomain",
                             DataOut<dim>::type_cell_data);
    for (const auto &data : context.cell_data)
      data_out.add_data_vector(*data.second,
                               data.first,
                               DataOut<dim>::type_cell_data);

    // Fast compression: the best zlib level costs seconds per million
    // cells and saves little on floating-point data.
    DataOutBase::VtkFlags flags;
    flags.compression_level =
      DataOutBase::VtkFlags::ZlibCompressionLevel::best_speed;
    data_out.set_flags(flags);
    data_out.build_patches(context.mapping,
                           subdivisions > 0 ?
                             subdivisions :
                             context.dof_handler.get_fe().degree);

    write_vtu(data_out, context, prefix);
    return {};
  }

  template void
  write_vtu(const DataOut<1, 1> &,
            const FieldContext<1> &,
            const std::string &);
  template void
  write_vtu(const DataOut<2, 2> &,
            const FieldContext<2> &,
            const std::string &);
  template void
  write_vtu(const DataOut<3, 3> &,
            const FieldContext<3> &,
            const std::string &);
  template class VtuOutput<1>;
  template class VtuOutput<2>;
  template class VtuOutput<3>;
} // namespace dealii_learned

DEALII_LEARNED_REGISTER_POSTPROCESSOR_1D_2D_3D(
  dealii_learned::VtuOutput,
  "vtu-output",
  "Writes the solution, the MPI subdomain and cell data (coefficient, error "
  "indicator) as VTU for ParaView, with a .pvtu record under MPI.")
