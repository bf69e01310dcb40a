// The status page served at /: one HTML document, its script and style
// inline (no CDN, no build step; it works offline).
#pragma once

#include <string>

namespace pylabhub::host {

const std::string& status_page_html();

}  // namespace pylabhub::host
