// Validates JSON values against JSON Schemas (draft 2020-12) with ajv and ajv-formats
// (tests/e2e/package-lock.json), for the end-to-end suites.
//   node validate_schemas.mjs INPUT.json
// INPUT: {"schemas": {NAME: schema}, "instances": [{"schema": NAME, "value": ..., "where": "..."}]}
// Prints one JSON array, per instance: {where, errors, closedErrors}, where closedErrors
// come from a closed copy of the schema in which every object admits only the properties
// the schema declares: the published schemas stay open (adding a field is not a breaking
// change for a consumer), the closed copy shows a delivered field the catalog forgot.
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';

const require = createRequire(import.meta.url);
const Ajv2020 = require('ajv/dist/2020.js');
const addFormats = require('ajv-formats');

// A copy of schema in which objects refuse undeclared properties. A $ref outside allOf is
// wrapped ({allOf: [ref], unevaluatedProperties: false}) rather than closing its target,
// since a target may also be extended through allOf elsewhere; unevaluatedProperties sees
// through allOf and $ref, so declarations there count.
function closed(node, role = 'inline') {
	if (Array.isArray(node)) return node.map((n) => closed(n, 'inline'));
	if (node === null || typeof node !== 'object') return node;
	const out = {};
	for (const [k, v] of Object.entries(node)) {
		if (k === 'properties' || k === '$defs' || k === 'patternProperties')
			out[k] = Object.fromEntries(Object.entries(v).map(([n, s]) => [n, closed(s, k === '$defs' ? 'def' : 'inline')]));
		else if (k === 'allOf') out[k] = v.map((s) => closed(s, 'allOf'));
		else if (['items', 'additionalProperties', 'anyOf', 'oneOf', 'not', 'prefixItems'].includes(k)) out[k] = closed(v, 'inline');
		else out[k] = v;
	}
	const open = !('additionalProperties' in out) && !('unevaluatedProperties' in out);
	if (typeof out.$ref === 'string' && role !== 'allOf') {
		const { $ref, ...rest } = out;
		return { ...rest, allOf: [{ $ref }], unevaluatedProperties: false };
	}
	if (open && (out.properties || out.allOf) && role === 'inline') out.unevaluatedProperties = false;
	return out;
}

// The published schemas compile in ajv's strict mode; the closed copies add
// unevaluatedProperties beside non-object types, which only strictTypes minds.
function compile(schema, strictTypes = true) {
	const ajv = new Ajv2020({ strict: true, strictTypes, allErrors: true, allowUnionTypes: true });
	addFormats(ajv);
	// OpenAPI's discriminator (with a mapping, which ajv's own support refuses) is a hint for
	// code generators; the oneOf beside it does the validating.
	ajv.addKeyword({ keyword: 'discriminator', schemaType: 'object' });
	return ajv.compile(schema);
}

const input = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const open = {};
const shut = {};
for (const [name, schema] of Object.entries(input.schemas)) {
	open[name] = compile(schema);
	shut[name] = compile(closed(schema), false);
}
const out = input.instances.map(({ schema, value, where }) => {
	const v = open[schema];
	const c = shut[schema];
	if (!v) return { where, errors: [`no schema named ${schema}`], closedErrors: [] };
	const errors = v(value) ? [] : v.errors.map((e) => `${e.instancePath} ${e.message}`);
	const closedErrors = c(value) ? [] : c.errors.map((e) => `${e.instancePath} ${e.message} ${JSON.stringify(e.params)}`);
	return { where, errors, closedErrors };
});
process.stdout.write(JSON.stringify(out));
