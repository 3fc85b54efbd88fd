/* gen — the synthetic city behind `sais gen`.
 *
 *   sais gen --persons N --seed S --out DIR [--today YYYY-MM-DD]
 *
 * Writes one NDJSON file per partner feed into DIR (hukou, medical, disability, hrss, civil,
 * justice, assets), DIR/planted.json (households built so that every policy and early-warning
 * signal has a certain outcome, with near misses on the other side of each boundary) and
 * DIR/manifest.json (record counts and bytes per file). The same arguments always give
 * byte-identical files: the generator has its own PRNG and never asks the clock.
 *
 * The field rules are DOMAIN.md "Feeds"; the planted cases' amounts follow DOMAIN.md
 * "Policies" with the demo parameters listed in planted.json "params".
 */
#ifndef SAIS_GEN_H
#define SAIS_GEN_H

/* Entry point of the `gen` sub-command; argv[0] is "gen". Returns the process exit status:
 * 0 on success, 2 on a usage error (message and usage on stderr), 1 when writing failed
 * (the half-written files are removed). */
int sais_gen_main(int argc, char **argv);

#endif
