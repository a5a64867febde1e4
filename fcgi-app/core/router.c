/* Path pattern matching for the route table. */
#include "fcgi-app/core/router.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/xalloc.h"

/* Matches path against pattern, filling params (borrowed from path, which is modified). */
static bool match(const char *pattern, char *path, const char **params)
{
	size_t np = 0;
	while(*pattern && *path) {
		const char *pend = strchr(pattern + 1, '/');
		char *send = strchr(path + 1, '/');
		size_t plen = pend ? (size_t)(pend - pattern) : strlen(pattern);
		size_t slen = send ? (size_t)(send - path) : strlen(path);
		if(*pattern != '/' || *path != '/')
			return false;
		if(pattern[1] == ':') {
			if(slen < 2 || np == HTTP_MAX_PARAMS)
				return false;
			params[np++] = path + 1;
		} else if(plen != slen || memcmp(pattern, path, plen)) {
			return false;
		}
		pattern += plen;
		path += slen;
	}
	if(*pattern || *path)
		return false;
	return true;
}

/* Adds method to allow, a list like "GET, HEAD, PUT" in a buffer of size bytes, unless it
 * is there already. */
static void allow_add(char *allow, size_t size, const char *method)
{
	size_t len = strlen(allow), mlen = strlen(method);
	for(const char *p = allow; *p; p += *p ? 2 : 0) {
		if(!strncmp(p, method, mlen) && (p[mlen] == ',' || !p[mlen]))
			return;
		p += strcspn(p, ",");
	}
	snprintf(allow + len, size - len, "%s%s", len ? ", " : "", method);
}

enum wh_err router_match(const struct route *table, struct request *req, const struct route **out)
{
	bool path_matched = false;
	size_t len = strlen(req->path);
	/* A trailing slash is the same resource. */
	if(len > 1 && req->path[len - 1] == '/')
		req->path[len - 1] = '\0';
	for(const struct route *r = table; r->pattern; r++) {
		const char *params[HTTP_MAX_PARAMS] = {0};
		char *copy = xstrdup(req->path);
		if(!match(r->pattern, copy, params)) {
			free(copy);
			continue;
		}
		path_matched = true;
		if(strcmp(r->method, req->method) && !(strcmp(req->method, "HEAD") == 0 && !strcmp(r->method, "GET"))) {
			allow_add(req->allow, sizeof(req->allow), r->method);
			if(!strcmp(r->method, "GET"))
				allow_add(req->allow, sizeof(req->allow), "HEAD");
			free(copy);
			continue;
		}
		/* Terminate each captured segment at its slash. */
		for(size_t i = 0; i < HTTP_MAX_PARAMS && params[i]; i++) {
			char *slash = strchr(params[i], '/');
			if(slash)
				*slash = '\0';
		}
		req->allow[0] = '\0';
		free(req->path_copy);
		req->path_copy = copy;
		memcpy(req->params, params, sizeof(params));
		*out = r;
		return WH_OK;
	}
	return path_matched ? WH_ERR_METHOD : WH_ERR_NOT_FOUND;
}
