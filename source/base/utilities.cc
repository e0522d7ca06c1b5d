#include <deal.II/base/exceptions.h>

#include <dealii-learned/base/utilities.h>

#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <sstream>

namespace dealii_learned
{
  std::string
  join(const std::vector<std::string> &items, const std::string &separator)
  {
    std::string result;
    for (std::size_t i = 0; i < items.size(); ++i)
      result += (i == 0 ? "" : separator) + items[i];
    return result;
  }


  bool
  parse_double(const std::string &text, double &value)
  {
    if (text.empty())
      return false;
    // Overflow gives inf, refused below; underflow (a subnormal weight) is
    // a valid, finite value.
    char *end = nullptr;
    value     = std::strtod(text.c_str(), &end);
    return end == text.c_str() + text.size() && std::isfinite(value);
  }


  bool
  parse_unsigned(const std::string &text, unsigned int &value)
  {
    if (text.empty() || text.size() > 9 ||
        text.find_first_not_of("0123456789") != std::string::npos)
      return false;
    value = static_cast<unsigned int>(std::stoul(text));
    return true;
  }


  std::string
  format_number(const double x, const int digits)
  {
    std::ostringstream out;
    out << std::setprecision(digits) << x;
    return out.str();
  }


  std::string
  error_message(const std::exception &exception)
  {
    if (const auto *e = dynamic_cast<const dealii::ExceptionBase *>(&exception))
      {
        std::ostringstream out;
        e->print_info(out);
        std::string text = out.str();
        // deal.II indents and wraps its messages; fold them into one line
        // per paragraph for a terminal.
        std::string folded;
        bool        space = false;
        for (const char c : text)
          if (c == '\n' || c == ' ' || c == '\t')
            space = !folded.empty();
          else
            {
              if (space)
                folded += ' ';
              folded += c;
              space = false;
            }
        if (folded.empty())
          folded = e->get_exc_name();
        return folded;
      }
    return exception.what();
  }


  std::string
  fingerprint(const std::string &text)
  {
    std::uint64_t hash = 1469598103934665603ull;
    for (const unsigned char c : text)
      hash = (hash ^ c) * 1099511628211ull;
    std::ostringstream out;
    out << std::hex << std::setw(16) << std::setfill('0') << hash;
    return out.str();
  }


  void
  write_file_atomically(const std::string &filename, const std::string &content)
  {
    const std::string temporary =
      filename + ".tmp." + std::to_string(::getpid());
    {
      std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
      AssertThrow(out,
                  dealii::ExcMessage("Cannot write '" + temporary +
                                     "': " + std::strerror(errno)));
      out << content;
      out.close();
      if (!out)
        {
          std::remove(temporary.c_str());
          AssertThrow(false,
                      dealii::ExcMessage("Writing '" + temporary +
                                         "' failed (disk full?)."));
        }
    }
    if (std::rename(temporary.c_str(), filename.c_str()) != 0)
      {
        const std::string reason = std::strerror(errno);
        std::remove(temporary.c_str());
        AssertThrow(false,
                    dealii::ExcMessage("Cannot rename '" + temporary +
                                       "' to '" + filename + "': " + reason));
      }
  }


  void
  ensure_writable_directory(const std::string &directory,
                            const std::string &parameter_name)
  {
    namespace fs = std::filesystem;
    std::error_code error;
    fs::create_directories(directory, error);
    AssertThrow(!error,
                dealii::ExcMessage("The directory '" + directory +
                                   "' given in '" + parameter_name +
                                   "' cannot be created: " + error.message() +
                                   ". Choose a directory you can write to."));
    AssertThrow(fs::is_directory(directory),
                dealii::ExcMessage("'" + directory + "' given in '" +
                                   parameter_name + "' is not a directory."));
    // Probe by creating a file: access() says yes to root even where a
    // write would fail (read-only file systems).
    const std::string probe =
      directory + "/.dealii-learned-probe." + std::to_string(::getpid());
    std::ofstream     out(probe);
    const bool        ok     = static_cast<bool>(out);
    const std::string reason = ok ? "" : std::strerror(errno);
    out.close();
    std::remove(probe.c_str());
    AssertThrow(ok,
                dealii::ExcMessage("The directory '" + directory +
                                   "' given in '" + parameter_name +
                                   "' is not writable: " + reason +
                                   ". Choose a directory you can write to."));
  }
} // namespace dealii_learned
