"""This lesson's custom signals: shop events that Django itself does not send.

A signal is a named event. The code that sends it does not know who listens, and receivers
can be added without touching that code.
"""

from django.dispatch import Signal

# Sent by services.place_order() once an order and its lines are saved.
# Arguments: order.
order_placed = Signal()

# Sent by services.change_prices(): QuerySet.update() sends no save signals of its own.
# Arguments: product_ids (the products whose price changed), percent.
prices_changed = Signal()
