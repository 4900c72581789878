"""The shop's own domain events, for receivers in any lesson to listen to."""

from django.dispatch import Signal

# Sent by the order report task (lesson 04) once the report email has gone out.
# Arguments: order.
order_report_sent = Signal()
