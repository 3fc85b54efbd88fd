/* intake — applications filed with only an ID card, at any window, their review queue and
 * their history (API.md "Applications", DOMAIN.md "The people who use it").
 *
 * A person files with three fields (id_number, channel, filed_region); intake looks the
 * person up in verify and hands the application to the county of the household
 * registration (handled_region), which may not be where it was filed. On its tick it then
 * asks verify for a verification report and rules for a decision, outside any write
 * transaction, and moves the application submitted -> verifying -> deciding ->
 * pending_review | approved | rejected, every step in its history. Reviewers approve or
 * reject what waits for them. Proactive dibao/tekun findings of rules (case.proactive)
 * become applications waiting for review in the county's queue.
 *
 * Methods: applications.create (RAW: it calls verify before its write, and keeps the
 * Idempotency-Key record itself), applications.get, applications.list (READ),
 * applications.review (WRITE).
 * Consumes: rules (case.proactive).
 * Produces (payload itk.Application, region = handled_region): application.submitted,
 * application.pending_review, application.approved, application.rejected. rules grants the
 * `approved_policies` of an approved application with origin = `origin`; notify texts the
 * applicant's phone at each decision.
 *
 * Start it with sais_service_start(&intake_service, cfg); the definition is static and
 * read-only.
 */
#ifndef INTAKE_H
#define INTAKE_H

#include "sais_service.h"

extern const sais_service_def_t intake_service;

#endif
