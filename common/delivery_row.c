/* Delivery statuses. */
#include "common/delivery_row.h"

#include <stddef.h>
#include <string.h>

const char *const delivery_statuses[] = {DELIVERY_PENDING, DELIVERY_SUCCEEDED, DELIVERY_FAILED, NULL};

bool delivery_status_valid(const char *status)
{
	for(size_t i = 0; status && delivery_statuses[i]; i++)
		if(!strcmp(status, delivery_statuses[i]))
			return true;
	return false;
}
