from rest_framework import serializers

from .models import Signal


class SignalSerializer(serializers.ModelSerializer):
    class Meta:
        model = Signal
        fields = ["kind", "ts", "x", "y", "url", "selector"]
