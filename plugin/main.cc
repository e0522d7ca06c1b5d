// The dealii-learned driver program. See `dealii-learned --help`.

#include <deal.II/base/mpi.h>

#include <dealii-learned/driver/driver.h>

int
main(int argc, char **argv)
{
  dealii::Utilities::MPI::MPI_InitFinalize mpi(argc, argv, 1);
  return dealii_learned::Driver::main(argc, argv);
}
