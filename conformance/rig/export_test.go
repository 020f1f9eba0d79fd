package rig

// MemcachedVersion sends memcached's version command to addr and reads the
// answer, within ctx's deadline (2 s at most): for the tests of package
// rig_test.
var MemcachedVersion = version
