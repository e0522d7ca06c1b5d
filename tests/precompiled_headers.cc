// The translation unit that carries the test programs' precompiled headers
// (tests/CMakeLists.txt): the test programs reuse them.
