import accounts.models
from django.db import migrations, models

HELP = "The member followed the confirmation link mailed to this address."


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0003_username_skeleton'),
    ]

    operations = [
        migrations.AlterModelManagers(
            name='user',
            managers=[
                ('objects', accounts.models.MemberManager()),
            ],
        ),
        # Members who joined before verification existed count as verified: the
        # column is added with True in every existing row, then new rows get False.
        migrations.AddField(
            model_name='user',
            name='email_verified',
            field=models.BooleanField(default=True, help_text=HELP),
        ),
        migrations.AlterField(
            model_name='user',
            name='email_verified',
            field=models.BooleanField(default=False, help_text=HELP),
        ),
    ]
