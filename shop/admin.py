from django.contrib import admin

from .models import Order, OrderLine, PriceChange, Product


class PriceChangeInline(admin.TabularInline):
    model = PriceChange
    fields = ["changed_at", "old_price", "new_price"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False  # The price log is written by the price_log receiver, never by hand.


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    list_display = ["name", "price"]
    search_fields = ["name"]
    inlines = [PriceChangeInline]


class OrderLineInline(admin.TabularInline):
    model = OrderLine
    extra = 0


@admin.register(Order)
class OrderAdmin(admin.ModelAdmin):
    list_display = ["__str__", "owner", "created_at", "report_sent_at"]
    inlines = [OrderLineInline]
