/* The visit and message life cycles, the status counters and the field validators. */
#include "common/events.h"
#include "fcgi-app/core/fields.h"
#include "fcgi-app/resources/message_rules.h"
#include "fcgi-app/resources/visit_rules.h"
#include "tests/unit/test.h"

TEST_SUITE(visit_life_cycle)
{
	static const struct {
		const char *from, *to;
		bool ok;
	} cases[] = {
	    {"DRAFT", "PENDING", true},    {"DRAFT", "BOOKED", true},     {"DRAFT", "WAITING", true},
	    {"DRAFT", "SERVED", false},    {"DRAFT", "COMPLETE", false},  {"PENDING", "BOOKED", true},
	    {"PENDING", "WAITING", true},  {"PENDING", "COMPLETE", true}, {"PENDING", "DRAFT", false},
	    {"PENDING", "SERVED", false},  {"BOOKED", "WAITING", true},   {"BOOKED", "SERVED", true},
	    {"BOOKED", "COMPLETE", true},  {"BOOKED", "PENDING", false},  {"BOOKED", "DRAFT", false},
	    {"WAITING", "SERVED", true},   {"WAITING", "COMPLETE", true}, {"WAITING", "BOOKED", false},
	    {"WAITING", "DRAFT", false},   {"WAITING", "PENDING", false}, {"SERVED", "COMPLETE", true},
	    {"SERVED", "WAITING", true},   {"SERVED", "BOOKED", false},   {"COMPLETE", "WAITING", false},
	    {"COMPLETE", "SERVED", false}, {"COMPLETE", "DRAFT", false},  {"COMPLETE", "PENDING", false},
	    {"COMPLETE", "BOOKED", false}, {"WAITING", "SERVING", false}, {"WAITING", "LOST", false},
	    {NULL, "WAITING", false},      {"WAITING", NULL, false},
	};
	for(size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		CHECK(visit_transition_allowed(cases[i].from, cases[i].to) == cases[i].ok);
	/* staying put is always allowed; every state is known to the catalog */
	for(size_t i = 0; visit_states[i]; i++) {
		CHECK(visit_transition_allowed(visit_states[i], visit_states[i]));
		CHECK(visit_state_canonical(visit_states[i]) == visit_states[i]);
	}
	CHECK_STR(visit_state_canonical("SERVING"), "SERVED");
	/* COMPLETE is final: nothing leaves it */
	for(size_t i = 0; visit_states[i]; i++)
		if(strcmp(visit_states[i], "COMPLETE"))
			CHECK(!visit_transition_allowed("COMPLETE", visit_states[i]));
}

TEST_SUITE(visit_create_and_waitlist)
{
	CHECK(visit_create_state_allowed("WAITING"));
	CHECK(visit_create_state_allowed("DRAFT"));
	CHECK(visit_create_state_allowed("SERVED"));
	CHECK(!visit_create_state_allowed("COMPLETE"));
	CHECK(!visit_create_state_allowed("SERVING"));
	CHECK(!visit_create_state_allowed(NULL));
	CHECK(visit_joins_waitlist(NULL, "WAITING"));
	CHECK(visit_joins_waitlist("DRAFT", "WAITING"));
	CHECK(visit_joins_waitlist("PENDING", "WAITING"));
	CHECK(!visit_joins_waitlist("BOOKED", "WAITING"));
	CHECK(!visit_joins_waitlist("SERVED", "WAITING"));
	CHECK(!visit_joins_waitlist("WAITING", "WAITING"));
	CHECK(!visit_joins_waitlist(NULL, "BOOKED"));
	CHECK(!visit_joins_waitlist("WAITING", "SERVED"));
	CHECK(visit_state_counter("WAITING") == 'W');
	CHECK(visit_state_counter("SERVED") == 'S');
	CHECK(visit_state_counter("BOOKED") == 'B');
	CHECK(visit_state_counter("PENDING") == 0);
	CHECK(visit_state_counter("DRAFT") == 0);
	CHECK(visit_state_counter("COMPLETE") == 0);
	CHECK(visit_state_counter(NULL) == 0);
}

TEST_SUITE(message_life_cycle)
{
	CHECK(message_transition_allowed("PENDING", "SENT"));
	CHECK(message_transition_allowed("PENDING", "FAILED"));
	CHECK(message_transition_allowed("SENT", "DELIVERED"));
	CHECK(message_transition_allowed("SENT", "FAILED"));
	CHECK(message_transition_allowed("SENT", "SENT"));
	CHECK(!message_transition_allowed("PENDING", "DELIVERED"));
	CHECK(!message_transition_allowed("DELIVERED", "FAILED"));
	CHECK(!message_transition_allowed("DELIVERED", "PENDING"));
	CHECK(!message_transition_allowed("FAILED", "SENT"));
	CHECK(!message_transition_allowed("SENT", "PENDING"));
	CHECK(!message_transition_allowed("READ", "READ"));
	CHECK(message_channel_valid("SMS") && message_channel_valid("EMAIL"));
	CHECK(!message_channel_valid("sms") && !message_channel_valid("FAX") && !message_channel_valid(NULL));
	CHECK(message_state_valid("DELIVERED") && !message_state_valid("delivered"));
}

TEST_SUITE(domain_validators)
{
	CHECK(rules_phone_valid("+46 70-123 45 67"));
	CHECK(rules_phone_valid("(555) 010.1234"));
	CHECK(!rules_phone_valid("12"));
	CHECK(!rules_phone_valid("call me"));
	CHECK(!rules_phone_valid("123\n456"));
	CHECK(rules_email_valid("ada@example.com"));
	CHECK(rules_email_valid("a.b+c@mail.example.co.uk"));
	CHECK(!rules_email_valid("nope"));
	CHECK(!rules_email_valid("@example.com"));
	CHECK(!rules_email_valid("a@b"));
	CHECK(!rules_email_valid("a@.com"));
	CHECK(!rules_email_valid("a@b."));
	CHECK(!rules_email_valid("a b@example.com"));
	CHECK(!rules_email_valid("a@b@example.com"));
	CHECK(rules_timezone_valid("UTC"));
	CHECK(rules_timezone_valid("Europe/Stockholm"));
	CHECK(rules_timezone_valid("America/Argentina/Buenos_Aires"));
	CHECK(rules_timezone_valid("Etc/GMT+5"));
	CHECK(!rules_timezone_valid(""));
	CHECK(!rules_timezone_valid("../etc/passwd"));
	CHECK(!rules_timezone_valid("/etc/passwd"));
	CHECK(!rules_timezone_valid("Europe/"));
	CHECK(!rules_timezone_valid("Not a zone"));
	CHECK(!rules_timezone_valid("Europe//Paris"));
	CHECK(field_text_valid("tab\tnew\nline\r"));
	CHECK(field_text_valid("UTF-8 \xc3\xa5\xc3\xa4\xc3\xb6"));
	CHECK(!field_text_valid("bell\a"));
	CHECK(!field_text_valid("del\x7f"));
}
