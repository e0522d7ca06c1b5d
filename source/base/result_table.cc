#include <deal.II/base/exceptions.h>

#include <dealii-learned/base/result_table.h>

#include <algorithm>
#include <cmath>
#include <iomanip>
#include <sstream>

namespace dealii_learned
{
  std::string
  json_string(const std::string &s)
  {
    std::string out = "\"";
    for (const char c : s)
      switch (c)
        {
          case '"':
            out += "\\\"";
            break;
          case '\\':
            out += "\\\\";
            break;
          case '\n':
            out += "\\n";
            break;
          case '\t':
            out += "\\t";
            break;
          default:
            if (static_cast<unsigned char>(c) < 0x20)
              {
                char buffer[8];
                std::snprintf(buffer, sizeof(buffer), "\\u%04x", c);
                out += buffer;
              }
            else
              out += c;
        }
    return out + "\"";
  }


  namespace
  {
    std::string
    format(const ResultTable::Value &value, const bool json)
    {
      if (const auto *i = std::get_if<long long>(&value))
        return std::to_string(*i);
      if (const auto *b = std::get_if<bool>(&value))
        return json ? (*b ? "true" : "false") : (*b ? "yes" : "no");
      if (const auto *s = std::get_if<std::string>(&value))
        return json ? json_string(*s) : *s;
      const double d = std::get<double>(value);
      if (!std::isfinite(d))
        return json ? "null" : (std::isnan(d) ? "nan" : "inf");
      std::ostringstream out;
      out << std::setprecision(json ? 10 : 4) << d;
      return out.str();
    }
  } // namespace


  void
  ResultTable::new_row()
  {
    rows.emplace_back();
  }


  void
  ResultTable::set(const std::string &column, const double value)
  {
    set_value(column, Value(value));
  }


  void
  ResultTable::set(const std::string &column, const std::string &value)
  {
    set_value(column, Value(value));
  }


  void
  ResultTable::set(const std::string &column, const char *value)
  {
    set_value(column, Value(std::string(value)));
  }


  void
  ResultTable::set(const std::string &column, const bool value)
  {
    set_value(column, Value(value));
  }


  void
  ResultTable::set_value(const std::string &column, const Value &value)
  {
    AssertThrow(!rows.empty(),
                dealii::ExcMessage("ResultTable::set() before new_row()."));
    if (std::find(columns.begin(), columns.end(), column) == columns.end())
      columns.push_back(column);
    auto &row = rows.back();
    for (auto &entry : row)
      if (entry.first == column)
        {
          entry.second = value;
          return;
        }
    row.emplace_back(column, value);
  }


  void
  ResultTable::set_detail(const std::string &column, const double value)
  {
    set(column, value);
    if (!is_detail(column))
      detail_columns.push_back(column);
  }


  bool
  ResultTable::is_detail(const std::string &column) const
  {
    return std::find(detail_columns.begin(), detail_columns.end(), column) !=
           detail_columns.end();
  }


  std::size_t
  ResultTable::n_rows() const
  {
    return rows.size();
  }


  const ResultTable::Value &
  ResultTable::get(const std::size_t row, const std::string &column) const
  {
    AssertThrow(row < rows.size(),
                dealii::ExcMessage("ResultTable: no row " +
                                   std::to_string(row)));
    for (const auto &entry : rows[row])
      if (entry.first == column)
        return entry.second;
    AssertThrow(false,
                dealii::ExcMessage("ResultTable: row " + std::to_string(row) +
                                   " has no column '" + column + "'"));
    return rows[row].front().second;
  }


  const std::vector<std::string> &
  ResultTable::column_names() const
  {
    return columns;
  }


  void
  ResultTable::write_json(std::ostream &out, const unsigned int indent) const
  {
    const std::string pad(indent, ' ');
    out << "[";
    for (std::size_t r = 0; r < rows.size(); ++r)
      {
        out << (r == 0 ? "\n" : ",\n") << pad << "{";
        for (std::size_t c = 0; c < rows[r].size(); ++c)
          out << (c == 0 ? "" : ", ") << json_string(rows[r][c].first) << ": "
              << format(rows[r][c].second, true);
        out << "}";
      }
    out << (rows.empty() ?
              "]" :
              "\n" + pad.substr(0, indent >= 2 ? indent - 2 : 0) + "]");
  }


  void
  ResultTable::write_text(std::ostream                   &out,
                          const std::vector<std::string> &selected) const
  {
    const std::vector<std::string> &names =
      selected.empty() ? columns : selected;
    std::vector<std::vector<std::string>> cells(
      rows.size(), std::vector<std::string>(names.size()));
    std::vector<std::size_t> width(names.size());
    for (std::size_t c = 0; c < names.size(); ++c)
      {
        width[c] = names[c].size();
        for (std::size_t r = 0; r < rows.size(); ++r)
          {
            for (const auto &entry : rows[r])
              if (entry.first == names[c])
                cells[r][c] = format(entry.second, false);
            if (cells[r][c].empty())
              cells[r][c] = "-";
            width[c] = std::max(width[c], cells[r][c].size());
          }
      }
    const auto line = [&](const std::vector<std::string> &items) {
      for (std::size_t c = 0; c < items.size(); ++c)
        out << (c == 0 ? "" : "  ") << std::setw(width[c]) << items[c];
      out << '\n';
    };
    line(names);
    for (const auto &r : cells)
      line(r);
  }
} // namespace dealii_learned
