package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// A Redis password never reaches stderr: not in the error for a URL
// url.Parse rejects ("invalid port \":<password>…\" after host", or the
// URL echoed with a newline in its password), nor in the usage text, which
// printed CACHEKIT_SERVER_REDIS_URL as the -redis-url default.
func TestRedisPasswordNotPrinted(t *testing.T) {
	const mark = "LEAKMARK"
	if os.Getenv("CACHEKIT_SERVER_TEST_MAIN") == "1" {
		// The child: main itself, as the process runs it.
		os.Args = append([]string{"cachekit-server"}, strings.Fields(os.Getenv("CACHEKIT_SERVER_TEST_ARGS"))...)
		main()
		return
	}
	urls := []string{
		"redis://:" + mark + "-abc123\n@127.0.0.1:1/0",
		"redis://:" + mark + "-abc123#1@127.0.0.1:1/0",
		"redis://:" + mark + "-abc123?1@127.0.0.1:1/0",
		"redis://:" + mark + "-abc123 x@127.0.0.1:1/0",
	}
	for _, u := range urls {
		env := func(k string) string {
			if k == "CACHEKIT_SERVER_REDIS_URL" {
				return u
			}
			return ""
		}
		var out bytes.Buffer
		err := run(context.Background(), []string{"-storage", "redis"}, env, &out)
		if err == nil || strings.Contains(err.Error(), mark) || strings.Contains(out.String(), mark) {
			t.Errorf("run(-storage redis, %q) = %v, output %q; want an error without the password", u, err, out.String())
		}
	}
	for _, args := range []string{"-no-such-flag", "-storage redis"} {
		cmd := exec.Command(os.Args[0], "-test.run=^TestRedisPasswordNotPrinted$")
		cmd.Env = append(os.Environ(), "CACHEKIT_SERVER_TEST_MAIN=1", "CACHEKIT_SERVER_TEST_ARGS="+args,
			"CACHEKIT_SERVER_REDIS_URL="+urls[1])
		out, err := cmd.CombinedOutput()
		if err == nil || strings.Contains(string(out), mark) || !strings.Contains(string(out), "cachekit-server:") {
			t.Errorf("cachekit-server %s: %v, output:\n%s\nwant a failure that does not show the password", args, err, out)
		}
		if args == "-no-such-flag" && !strings.Contains(string(out), "-redis-url") {
			t.Errorf("cachekit-server %s: no usage text:\n%s", args, out)
		}
	}
	// The environment still supplies the URL, and the flag overrides it.
	envURL := func(k string) string {
		if k == "CACHEKIT_SERVER_REDIS_URL" {
			return "redis://env:1"
		}
		return ""
	}
	c, err := parseConfig([]string{"-storage", "redis"}, envURL)
	if err != nil || c.redisURL != "redis://env:1" {
		t.Errorf("URL from the environment: %q, %v", c.redisURL, err)
	}
	c, err = parseConfig([]string{"-redis-url", "redis://flag:1"}, envURL)
	if err != nil || c.redisURL != "redis://flag:1" {
		t.Errorf("URL from the flag: %q, %v", c.redisURL, err)
	}
}
