import uuid

import factory
from django.contrib.auth import get_user_model

from recorder.models import Session
from sites.models import Membership, Site


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    @factory.post_generation
    def password(user, create, extracted, **kwargs):
        user.set_password(extracted or "secret-pass-123")
        if create:
            user.save(update_fields=["password"])


class SiteFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Site
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Site {n}")
    domains = factory.LazyFunction(lambda: ["shop.example.com"])
    owner = factory.SubFactory(UserFactory)

    @factory.post_generation
    def owner_membership(site, create, extracted, **kwargs):
        if create:
            Membership.objects.get_or_create(site=site, user=site.owner, defaults={"role": Membership.OWNER})


class SessionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Session

    id = factory.LazyFunction(uuid.uuid4)
    site = factory.SubFactory(SiteFactory)
    visitor_id = factory.Sequence(lambda n: f"visitor{n:08d}")
