#pragma once

// Single source of truth for the version: CMakeLists.txt parses these three lines.
#define EMBEDKIT_VERSION_MAJOR 0
#define EMBEDKIT_VERSION_MINOR 1
#define EMBEDKIT_VERSION_PATCH 0

#define EMBEDKIT_STRINGIFY_DETAIL(x) #x
#define EMBEDKIT_STRINGIFY(x) EMBEDKIT_STRINGIFY_DETAIL(x)
#define EMBEDKIT_VERSION_STRING                                                    \
    EMBEDKIT_STRINGIFY(EMBEDKIT_VERSION_MAJOR)                                     \
    "." EMBEDKIT_STRINGIFY(EMBEDKIT_VERSION_MINOR) "." EMBEDKIT_STRINGIFY(EMBEDKIT_VERSION_PATCH)
