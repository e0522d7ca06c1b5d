#include <deal.II/base/exceptions.h>

#include <dealii-learned/base/key_value_file.h>
#include <dealii-learned/base/utilities.h>

#include <cstdlib>
#include <sstream>

namespace dealii_learned
{
  KeyValueFileReader::KeyValueFileReader(const std::string &filename,
                                         const std::string &kind,
                                         const std::string &signature,
                                         const unsigned int version)
    : stream(filename)
    , filename(filename)
    , kind(kind)
  {
    AssertThrow(stream,
                dealii::ExcMessage(
                  "Cannot open the " + kind + " file '" + filename +
                  "'. Check the path given in 'Model file' (a relative path "
                  "is relative to the working directory)."));
    if (!next() || current_key != signature)
      fail("is not a dealii-learned " + kind + " file.");
    unsigned int found = 0;
    if (!parse_unsigned(current_value, found))
      fail_here("'" + current_value +
                "' is not a format version (a non-negative whole number).");
    if (found != version)
      fail("has format version " + std::to_string(found) +
           "; this dealii-learned reads version " + std::to_string(version) +
           ". Retrain the model.");
  }


  bool
  KeyValueFileReader::next()
  {
    if (!std::getline(stream, current_line))
      {
        current_line.clear();
        current_key.clear();
        current_value.clear();
        return false;
      }
    ++current_line_number;
    // A file that passed through Windows ends its lines with \r\n.
    if (!current_line.empty() && current_line.back() == '\r')
      current_line.pop_back();
    const auto first = current_line.find_first_not_of(" \t");
    const auto space = current_line.find_first_of(" \t", first);
    current_key      = first == std::string::npos ?
                         "" :
                         current_line.substr(first, space - first);
    const std::string rest =
      space == std::string::npos ? "" : current_line.substr(space);
    const auto begin = rest.find_first_not_of(" \t");
    const auto end   = rest.find_last_not_of(" \t");
    current_value =
      begin == std::string::npos ? "" : rest.substr(begin, end - begin + 1);
    return true;
  }


  bool
  KeyValueFileReader::next_entry()
  {
    while (next())
      if (!current_key.empty())
        return true;
    return false;
  }


  const std::string &
  KeyValueFileReader::key() const
  {
    return current_key;
  }


  const std::string &
  KeyValueFileReader::value() const
  {
    return current_value;
  }


  std::vector<std::string>
  KeyValueFileReader::words() const
  {
    std::istringstream       split(current_value);
    std::vector<std::string> result;
    for (std::string w; split >> w;)
      result.push_back(w);
    return result;
  }


  double
  KeyValueFileReader::number() const
  {
    double x = 0.;
    if (!parse_double(current_value, x))
      fail_here("'" + current_value + "' is not a finite number.");
    return x;
  }


  unsigned int
  KeyValueFileReader::count() const
  {
    unsigned int n = 0;
    if (!parse_unsigned(current_value, n))
      fail_here("'" + current_value + "' is not a non-negative whole number.");
    return n;
  }


  bool
  KeyValueFileReader::flag() const
  {
    const unsigned int n = count();
    if (n > 1)
      fail_here("the value must be 0 or 1.");
    return n == 1;
  }


  std::vector<double>
  KeyValueFileReader::numbers() const
  {
    std::vector<double> result;
    for (const auto &w : words())
      {
        double x = 0.;
        if (!parse_double(w, x))
          fail_here("'" + w + "' is not a finite number.");
        result.push_back(x);
      }
    return result;
  }


  void
  KeyValueFileReader::read_values(std::vector<double> &values,
                                  const std::size_t    n,
                                  const std::string   &context)
  {
    values.resize(n);
    for (std::size_t i = 0; i < n; ++i)
      {
        if (!next())
          fail("is truncated: it ends after " + std::to_string(i) + " of the " +
               std::to_string(n) + " numbers of " + context + ".");
        if (!parse_double(current_key, values[i]) || !current_value.empty())
          fail_here("expected one finite number (" + context + ").");
      }
  }


  void
  KeyValueFileReader::expect_end(const std::string &context)
  {
    if (!next_entry() || current_key != "end" || !current_value.empty())
      fail("does not end with 'end' after " + context +
           ": it holds more values than its header announces, or is "
           "truncated.");
  }


  void
  KeyValueFileReader::fail(const std::string &what) const
  {
    AssertThrow(false,
                dealii::ExcMessage("The " + kind + " file '" + filename +
                                   "' " + what));
    std::abort(); // not reached
  }


  void
  KeyValueFileReader::fail_here(const std::string &what) const
  {
    fail("line " + std::to_string(current_line_number) + " ('" + current_line +
         "'): " + what);
  }


  unsigned int
  KeyValueFileReader::line_number() const
  {
    return current_line_number;
  }


  const std::string &
  KeyValueFileReader::line() const
  {
    return current_line;
  }
} // namespace dealii_learned
