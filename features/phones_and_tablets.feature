# "Copy your MitID app to another phone/tablet": the same flow from a phone
# to a tablet and from a tablet to a phone. The tags choose the devices:
# @new-tablet / @old-tablet (and @new-phone / @old-phone) name what the new
# and the old device must be; the platform tag names both (README, Device
# profiles).
Feature: Copy your MitID app between a phone and a tablet
  If you want to copy your MitID app to another phone or tablet, you can do
  so by scanning a QR code from your existing MitID app, for example, if
  you get a new phone or tablet.

  Background: Before you begin
    Given my old phone and the MitID app on it are updated
    And the MitID app is downloaded on my new phone, and I have fewer than three active MitID apps
    And Bluetooth is enabled on both phones

  @rule-old-app-stays-active
  Scenario Outline: I copy my MitID app from my <old device> to my <new device>
    When I follow steps 1 to 26
    Then my MitID app on my old phone is still active

    @android-14 @old-phone @new-tablet
    Examples: A phone to a tablet
      | old device    | new device     |
      | Android phone | Android tablet |

    @ios @old-tablet @new-phone
    Examples: A tablet to a phone
      | old device | new device |
      | iPad       | iPhone     |
