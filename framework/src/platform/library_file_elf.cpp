#include "pylabhub/platform/library_file.hpp"

#include <cstring>
#include <fstream>
#include <string>

#include <elf.h>

namespace pylabhub::platform {
namespace {

Error truncated(const std::filesystem::path& file, std::uint64_t needed, std::uint64_t size) {
    return make_error(ErrorCode::invalid_argument,
                      file.string() + ": truncated: its headers describe " + std::to_string(needed) + " bytes, the file has " +
                          std::to_string(size) + " (an interrupted copy or build? rebuild or copy it again)");
}

}  // namespace

Result<void> check_library_file(const std::filesystem::path& file) {
    std::error_code error;
    const std::uint64_t size = std::filesystem::file_size(file, error);
    if (error) return make_error(ErrorCode::not_found, file.string() + ": " + error.message());
    std::ifstream in(file, std::ios::binary);
    Elf64_Ehdr header{};
    if (!in.read(reinterpret_cast<char*>(&header), sizeof header) || std::memcmp(header.e_ident, ELFMAG, SELFMAG) != 0) {
        return {};  // not ELF at all: the loader's own message says so better
    }
    if (header.e_ident[EI_CLASS] != ELFCLASS64 || header.e_phentsize != sizeof(Elf64_Phdr)) {
        return make_error(ErrorCode::invalid_argument, file.string() + ": not a 64-bit shared library for this machine");
    }
    const std::uint64_t program_headers_end = header.e_phoff + std::uint64_t{header.e_phnum} * sizeof(Elf64_Phdr);
    if (program_headers_end > size) return truncated(file, program_headers_end, size);
    const std::uint64_t sections_end = header.e_shoff + std::uint64_t{header.e_shnum} * header.e_shentsize;
    if (header.e_shoff != 0 && sections_end > size) return truncated(file, sections_end, size);
    in.seekg(static_cast<std::streamoff>(header.e_phoff));
    for (unsigned i = 0; i < header.e_phnum; ++i) {
        Elf64_Phdr segment{};
        if (!in.read(reinterpret_cast<char*>(&segment), sizeof segment)) return truncated(file, program_headers_end, size);
        if (segment.p_type == PT_LOAD && segment.p_offset + segment.p_filesz > size) {
            return truncated(file, segment.p_offset + segment.p_filesz, size);
        }
    }
    return {};
}

}  // namespace pylabhub::platform
