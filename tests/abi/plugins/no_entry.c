/* A shared library that is not a plugin: it lacks plh_plugin_entry. */
__attribute__((visibility("default"))) int not_a_plugin(void) { return 42; }
