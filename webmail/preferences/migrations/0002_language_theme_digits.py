from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("preferences", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="preferences",
            name="language",
            field=models.CharField(blank=True, choices=[("", "My browser’s language"), ("fr", "French"), ("en", "English"), ("ar", "Arabic"), ("pl", "Polish")], default="", max_length=8, verbose_name="Language"),
        ),
        migrations.AddField(
            model_name="preferences",
            name="theme",
            field=models.CharField(blank=True, choices=[("", "Same as my device"), ("light", "Light"), ("dark", "Dark")], default="", max_length=8, verbose_name="Appearance"),
        ),
        migrations.AddField(
            model_name="preferences",
            name="digits",
            field=models.CharField(blank=True, choices=[("", "The language’s usual digits"), ("latn", "Western digits (0123…)"), ("arab", "Arabic-Indic digits (٠١٢٣…)")], default="", max_length=4, verbose_name="Digits in Arabic"),
        ),
    ]
