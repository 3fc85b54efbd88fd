/* sais_sources — which partner feeds can change what (DOMAIN.md "Feeds").
 *
 * verify's household.changed names the feed sources behind it (Envelope.sources). A consumer
 * that keeps only who belongs to a household, where it is registered, names, phones and each
 * member's status (active, deceased, incarcerated, moved out) passes over a change that only
 * incomes, medical costs, disabilities or assets caused: those come from hukou (registration,
 * moves, names, phones), civil (deaths, marriages) and justice (prison terms) alone.
 */
#ifndef SAIS_SOURCES_H
#define SAIS_SOURCES_H

#define SAIS_REGISTRY_SOURCES ((const char *const[]){"hukou", "civil", "justice", NULL})

#endif
