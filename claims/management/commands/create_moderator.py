"""``manage.py create_moderator EMAIL``: a staff account in the "Moderators"
group, which may see and decide claims in the admin and read the records
behind them, nothing more. Prints a link to set its password."""

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.core.validators import validate_email

from claims.moderators import moderators_group_ensure


class Command(BaseCommand):
    help = "Make EMAIL a moderator: a staff account in the Moderators group."

    def add_arguments(self, parser):
        parser.add_argument("email")

    def handle(self, *args, email, **options):
        try:
            validate_email(email)
        except ValidationError as invalid:
            raise CommandError(f"{email!r} is not an e-mail address") from invalid
        group = moderators_group_ensure()
        User = get_user_model()
        user = User.objects.filter(email__iexact=email).first()
        created = user is None
        if created:
            user = User.objects.create_user(username=email, email=email)
            user.set_unusable_password()
        user.is_staff = True
        user.save()
        user.groups.add(group)
        verb = "Created" if created else "Made"
        self.stdout.write(f"{verb} moderator {email}.")
        if created or not user.has_usable_password():
            self.stdout.write(
                "Set a password with: manage.py changepassword " + user.get_username()
            )
