// A table for the terminal whose columns fit their content: long channel
// and instance names never push the other columns out of line.
#pragma once

#include <algorithm>
#include <ostream>
#include <string>
#include <vector>

namespace pylabhub::host {

class TextTable {
public:
    enum class Align { left, right };
    struct Column {
        std::string title;
        Align align = Align::left;
    };

    explicit TextTable(std::vector<Column> columns) : columns_(std::move(columns)) {}

    /// One row, a cell per column (missing cells are empty).
    void add(std::vector<std::string> cells) {
        cells.resize(columns_.size());
        rows_.push_back(std::move(cells));
    }

    /// Columns two spaces apart, each as wide as its widest cell or title.
    void print(std::ostream& out, const std::string& indent = "") const {
        std::vector<std::size_t> widths;
        for (const auto& c : columns_) widths.push_back(c.title.size());
        for (const auto& row : rows_) {
            for (std::size_t i = 0; i < row.size(); ++i) widths[i] = std::max(widths[i], row[i].size());
        }
        auto line = [&](const std::vector<std::string>& cells) {
            std::string text = indent;
            for (std::size_t i = 0; i < cells.size(); ++i) {
                const std::string pad(widths[i] - cells[i].size(), ' ');
                if (i > 0) text += "  ";
                text += columns_[i].align == Align::right ? pad + cells[i] : cells[i] + (i + 1 < cells.size() ? pad : "");
            }
            out << text << "\n";
        };
        std::vector<std::string> titles;
        for (const auto& c : columns_) titles.push_back(c.title);
        line(titles);
        for (const auto& row : rows_) line(row);
    }

private:
    std::vector<Column> columns_;
    std::vector<std::vector<std::string>> rows_;
};

}  // namespace pylabhub::host
