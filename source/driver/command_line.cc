#include <deal.II/base/mpi.h>
#include <deal.II/base/parameter_handler.h>

#include <dealii-learned/base/collective.h>
#include <dealii-learned/base/shared_libraries.h>
#include <dealii-learned/base/utilities.h>
#include <dealii-learned/driver/driver.h>
#include <dealii-learned/training/trainer.h>

#include <iostream>

namespace dealii_learned
{
  namespace Driver
  {
    using namespace dealii;

    namespace
    {
      void
      print_usage(std::ostream &out)
      {
        out << "Usage:\n"
               "  dealii-learned run FILE.prm              run the problem a "
               "parameter file describes\n"
               "  dealii-learned FILE.prm                  the same\n"
               "  dealii-learned train FILE.prm            train the model "
               "'Training/Model' names\n"
               "  dealii-learned --print-parameters [FILE] print every "
               "parameter with its documentation\n"
               "                                           (FILE: load its "
               "'Additional shared libraries' first)\n"
               "  dealii-learned --help                    this text\n"
               "Under MPI: mpirun -np N dealii-learned run FILE.prm\n";
      }


      bool
      is_parameter_file(const std::string &argument)
      {
        return argument.size() > 4 &&
               argument.compare(argument.size() - 4, 4, ".prm") == 0;
      }


      /** Carries out the command line; returns the exit code. */
      int
      dispatch(const std::vector<std::string> &args, const bool root)
      {
        if (args.size() == 1 && (args[0] == "--help" || args[0] == "-h"))
          {
            if (root)
              print_usage(std::cout);
            return 0;
          }
        if (!args.empty() && args[0] == "--print-parameters" &&
            args.size() <= 2)
          {
            ParameterHandler prm;
            if (args.size() == 2)
              load_shared_libraries(read_shared_library_list(args[1]));
            declare_parameters(prm);
            if (root)
              prm.print_parameters(std::cout,
                                   ParameterHandler::OutputStyle(
                                     ParameterHandler::PRM |
                                     ParameterHandler::KeepDeclarationOrder));
            return 0;
          }
        if (args.size() == 2 && args[0] == "train")
          {
            ParameterHandler prm;
            read_parameters(args[1], prm);
            Training::run(prm, std::cout);
            return 0;
          }
        if ((args.size() == 2 && args[0] == "run") ||
            (args.size() == 1 && is_parameter_file(args[0])))
          {
            ParameterHandler prm;
            read_parameters(args.back(), prm);
            run(prm, std::cout);
            return 0;
          }
        if (root)
          {
            std::cerr << "dealii-learned: unknown command line";
            for (const auto &a : args)
              std::cerr << " '" << a << "'";
            std::cerr << "\n";
            print_usage(std::cerr);
          }
        return 2;
      }
    } // namespace


    int
    main(int argc, char **argv)
    {
      const bool root = Utilities::MPI::this_mpi_process(MPI_COMM_WORLD) == 0;
      const std::vector<std::string> args(argv + 1, argv + argc);
      int                            code = 0;
      try
        {
          // An exception that reaches this point on all ranks is printed
          // once; one raised on some ranks only (which every component
          // guards against deeper down already) ends the job from here.
          abort_on_lone_failure(MPI_COMM_WORLD, "dealii-learned", [&]() {
            code = dispatch(args, root);
          });
          return code;
        }
      catch (const std::exception &e)
        {
          if (root)
            std::cerr << "dealii-learned: error: " << error_message(e)
                      << std::endl;
          return 1;
        }
      catch (...)
        {
          if (root)
            std::cerr << "dealii-learned: error: an exception that is not a "
                         "std::exception"
                      << std::endl;
          return 1;
        }
    }
  } // namespace Driver
} // namespace dealii_learned
