// The plots of benchmark_probconserv: see probconserv_report.h.

#include "probconserv_report.h"

#include <deal.II/base/exceptions.h>

#include <dealii-learned/base/utilities.h>

#include <algorithm>
#include <cstdlib>
#include <iostream>
#include <sstream>

using namespace dealii;
using namespace dealii_learned;

namespace benchmark_probconserv
{
  void
  write_plots(const std::string                                &dir,
              const std::map<std::string, std::vector<double>> &errors,
              const std::map<std::string, Profile>             &profiles)
  {
    std::vector<std::string> scripts;
    for (const auto &[name, profile] : profiles)
      {
        const std::string  base = dir + "/profile-" + name;
        std::ostringstream data;
        for (const auto &r : profile.rows)
          data << r[0] << ' ' << r[1] << ' ' << r[2] << ' ' << r[3] << ' '
               << r[4] << ' ' << r[5] << '\n';
        write_file_atomically(base + ".dat", data.str());
        std::ostringstream gp;
        gp << "set terminal pngcairo size 900,600\nset output '" << base
           << ".png'\nset title '" << name
           << " at the final time: mean +- 2 sigma'\nset xlabel 'x'\n"
              "plot '"
           << base
           << ".dat' using 1:($3-2*$4):($3+2*$4) with filledcurves "
              "fs transparent solid 0.25 lc rgb 'orange' title 'base "
              "+- 2 sigma', '' using 1:3 with lines lc rgb 'orange' "
              "title 'base', '' using 1:($5-2*$6):($5+2*$6) with "
              "filledcurves fs transparent solid 0.25 lc rgb 'blue' "
              "title 'ProbConserv +- 2 sigma', '' using 1:5 with lines "
              "lc rgb 'blue' title 'ProbConserv', '' using 1:2 with "
              "lines lw 2 lc rgb 'black' title 'exact'\n";
        write_file_atomically(base + ".gp", gp.str());
        scripts.push_back(base + ".gp");
      }
    {
      const std::string  base = dir + "/conservation_error";
      std::ostringstream gp;
      gp << "set terminal pngcairo size 1000,650\nset output '" << base
         << ".png'\nset title 'Conservation error over time'\nset logscale y\n"
            "set xlabel 't'\nset ylabel 'relative (absolute for heat)'\n"
            "set key outside right\nplot ";
      bool first = true;
      for (const auto &[name, values] : errors)
        {
          std::string file = name;
          std::replace(file.begin(), file.end(), ' ', '-');
          std::ostringstream data;
          for (unsigned int k = 0; k + 1 < values.size(); k += 2)
            data << values[k] << ' ' << values[k + 1] << '\n';
          write_file_atomically(dir + "/conservation-" + file + ".dat",
                                data.str());
          gp << (first ? "" : ", ") << "'" << dir << "/conservation-" << file
             << ".dat' with linespoints title '" << name << "'";
          first = false;
        }
      gp << '\n';
      write_file_atomically(base + ".gp", gp.str());
      scripts.push_back(base + ".gp");
    }
    if (std::system("command -v gnuplot > /dev/null 2>&1") == 0)
      {
        for (const auto &script : scripts)
          AssertThrow(std::system(
                        ("gnuplot " + script + " 2> /dev/null").c_str()) == 0,
                      ExcMessage("gnuplot failed on " + script));
        std::cout << "Plots written to " << dir << "/profile-<case>.png and "
                  << dir << "/conservation_error.png" << std::endl;
      }
    else
      std::cout << "gnuplot not found: the plot data and scripts are in " << dir
                << std::endl;
  }
} // namespace benchmark_probconserv
